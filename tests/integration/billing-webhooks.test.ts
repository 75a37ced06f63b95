// First: turns billing on and starts the Stripe stand-in before lib/ reads the environment.
import { PRICES, standIn, webhookSecret } from "../support/billing-env";
import { afterAll, describe, expect, it } from "vitest";
import { POST as stripeWebhook } from "@/app/api/webhooks/stripe/route";
import { exportAuditLogCsv } from "@/lib/audit/export";
import type { Viewer } from "@/lib/auth/viewer";
import { openBillingPortal, setOnDemandBudget, startCheckout } from "@/lib/billing/checkout";
import { effectivePlan, onDemandEvents, retentionPlan } from "@/lib/billing/plans";
import { receiveStripeWebhook } from "@/lib/billing/webhooks";
import { db } from "@/lib/db";
import { limitsForOrg } from "@/lib/ingest/quota-policy";
import { acceptInvitation, inviteMember } from "@/lib/members";
import { addMember } from "../support/billing";
import { createOrgWithProject } from "../support/factories";
import { signedDelivery, stripeEvent, subscriptionObject } from "../support/stripe-stand-in";

// Billing on (a Stripe key), against the stand-in: the real stripe client, only its base URL differs.
afterAll(() => standIn.close());

const DAY = 86_400_000;
const t0 = Math.floor(Date.now() / 1000);

/** A delivery through the route handler, as Next calls it. */
async function deliver(event: Record<string, unknown>, secret = webhookSecret) {
  const { body, signature } = signedDelivery(event, secret);
  const res = await stripeWebhook(new Request("http://localhost/api/webhooks/stripe", { method: "POST", body, headers: { "stripe-signature": signature } }));
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function billingOf(orgId: number) {
  return db().organization.findUniqueOrThrow({
    where: { id: orgId },
    select: {
      plan: true,
      subscriptionStatus: true,
      stripeCustomerId: true,
      stripeSubscriptionId: true,
      currentPeriodEnd: true,
      pastDueSince: true,
      onDemandBudgetCents: true,
      lastStripeEventId: true,
      lastStripeEventAt: true,
    },
  });
}

/** An org with an owner and a Stripe customer, as after its first checkout. */
async function customerOrg() {
  const tenant = await createOrgWithProject();
  const owner: Viewer = { userId: tenant.user.id, orgId: tenant.org.id, role: "owner" };
  const customer = `cus_${tenant.org.slug.replace(/\W/g, "")}`;
  await db().organization.update({ where: { id: tenant.org.id }, data: { stripeCustomerId: customer } });
  return { ...tenant, owner, customer };
}

const retrievals = (subscriptionId: string) => standIn.requestsTo("GET", `/v1/subscriptions/${subscriptionId}`).length;

describe("checkout and the billing portal", () => {
  it("creates the customer once, reuses it, and sends the org, the plan's price and URLs back into the app", async () => {
    const { org, user } = await createOrgWithProject();
    const owner: Viewer = { userId: user.id, orgId: org.id, role: "owner" };
    const billing = await addMember(org.id, "billing");

    const first = await startCheckout(owner, "team");
    expect(first.url).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_/);
    const second = await startCheckout(billing.viewer, "business");

    const customers = standIn.requests.filter((r) => r.method === "POST" && r.path === "/v1/customers" && r.body.metadata?.org_id === String(org.id));
    expect(customers).toHaveLength(1);
    expect(customers[0]!.idempotencyKey).toBe(`errorhub-customer-org-${org.id}`);
    expect(customers[0]!.body).toMatchObject({ name: org.name, metadata: { org_id: String(org.id), org_slug: org.slug } });
    const { stripeCustomerId } = await billingOf(org.id);
    expect(stripeCustomerId).toMatch(/^cus_/);

    const sessions = standIn.requestsTo("POST", "/v1/checkout/sessions").filter((r) => r.body.client_reference_id === String(org.id));
    expect(sessions.map((s) => s.body.line_items[0].price)).toEqual([PRICES.team, PRICES.business]);
    for (const session of sessions) {
      expect(session.body).toMatchObject({
        mode: "subscription",
        customer: stripeCustomerId,
        client_reference_id: String(org.id),
        success_url: `http://localhost:3000/${org.slug}/settings/billing?checkout=success`,
        cancel_url: `http://localhost:3000/${org.slug}/settings/billing?checkout=canceled`,
        subscription_data: { metadata: { org_id: String(org.id) } },
      });
      // The metered overage price rides along, without a quantity.
      expect(session.body.line_items[1]).toEqual({ price: PRICES.overage });
      expect(session.authorization).toMatch(/^Bearer sk_test_/);
      expect(session.stripeVersion).toBe((await import("stripe")).default.API_VERSION);
    }
    expect(second.sessionId).not.toBe(first.sessionId);

    const audit = await db().auditLog.findMany({ where: { orgId: org.id, action: "billing.checkout_started" }, orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.actorId, (a.data as { plan: string }).plan])).toEqual([
      [user.id, "team"],
      [billing.user.id, "business"],
    ]);
  });

  it("makes one customer when two checkouts start at the same moment", async () => {
    const { org, user } = await createOrgWithProject();
    const owner: Viewer = { userId: user.id, orgId: org.id, role: "owner" };
    await Promise.all([startCheckout(owner, "team"), startCheckout(owner, "team")]);
    expect(standIn.requests.filter((r) => r.path === "/v1/customers" && r.body.metadata?.org_id === String(org.id))).toHaveLength(1);
  });

  it("opens the portal for the org's customer, returning to the billing page", async () => {
    const { org, owner, customer } = await customerOrg();
    const billing = await addMember(org.id, "billing");
    expect((await openBillingPortal(billing.viewer)).url).toMatch(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_/);
    const sent = standIn.requestsTo("POST", "/v1/billing_portal/sessions").at(-1)!;
    expect(sent.body).toEqual({ customer, return_url: `http://localhost:3000/${org.slug}/settings/billing` });
    await openBillingPortal(owner);
    expect(standIn.requestsTo("POST", "/v1/customers").filter((r) => r.body.metadata?.org_id === String(org.id))).toHaveLength(0);
  });

  it("lets only owners and billing members start a checkout or open the portal", async () => {
    const { org } = await createOrgWithProject();
    const before = standIn.requests.length;
    for (const role of ["admin", "member"] as const) {
      const { viewer } = await addMember(org.id, role);
      await expect(startCheckout(viewer, "team")).rejects.toMatchObject({ code: "forbidden", status: 403 });
      await expect(openBillingPortal(viewer)).rejects.toMatchObject({ code: "forbidden", status: 403 });
    }
    expect(standIn.requests.length).toBe(before);
    expect((await billingOf(org.id)).stripeCustomerId).toBeNull();
  });

  it("refuses a second subscription: plan changes go through the portal", async () => {
    const { org, owner, customer } = await customerOrg();
    const sub = subscriptionObject({ id: `sub_${org.id}_live`, customer, price: PRICES.team, status: "active" });
    standIn.setSubscription(sub);
    expect((await deliver(stripeEvent("customer.subscription.created", sub))).status).toBe(200);
    await expect(startCheckout(owner, "business")).rejects.toMatchObject({ code: "conflict" });
  });
});

describe("Stripe webhooks", () => {
  it("upgrades on checkout.session.completed, re-reading the subscription from Stripe", async () => {
    const { org, owner, customer } = await customerOrg();
    const periodEnd = t0 + 30 * 86_400;
    const sub = subscriptionObject({ id: `sub_${org.id}_a`, customer, price: PRICES.team, status: "active", periodEnd, extraPrices: [PRICES.overage] });
    standIn.setSubscription(sub);
    // The session carries no plan: the subscription read back from Stripe decides.
    const event = stripeEvent("checkout.session.completed", {
      id: `cs_${org.id}`,
      object: "checkout.session",
      mode: "subscription",
      client_reference_id: String(org.id),
      customer,
      subscription: sub.id,
      status: "complete",
    });
    const res = await deliver(event);
    expect(res).toEqual({ status: 200, json: { received: true, type: "checkout.session.completed", result: "applied" } });
    expect(retrievals(String(sub.id))).toBe(1);
    expect(await billingOf(org.id)).toMatchObject({
      plan: "team",
      subscriptionStatus: "active",
      stripeSubscriptionId: sub.id,
      currentPeriodEnd: new Date(periodEnd * 1000),
      pastDueSince: null,
      lastStripeEventId: event.id,
    });
    expect(limitsForOrg(await billingOf(org.id))).toEqual({
      monthlyErrors: 50_000,
      projectErrorsPerHour: 2_500,
      monthlyTransactions: 100_000,
      projectTransactionsPerHour: 5_000,
      monthlyAttachmentBytes: 1024 ** 3,
      // a twentieth of the month, but never less than the largest body ingest takes
      projectAttachmentBytesPerHour: 100 * 1024 ** 2,
    });
    const audit = await db().auditLog.findFirstOrThrow({ where: { orgId: org.id, action: "billing.subscription_changed" } });
    expect(audit).toMatchObject({ actorId: null, targetId: sub.id, data: { from: { plan: "free", status: null }, to: { plan: "team", status: "active" } } });
    expect(owner.orgId).toBe(org.id);
  });

  it("ignores the same event delivered twice, without asking Stripe again", async () => {
    const { org, customer } = await customerOrg();
    const sub = subscriptionObject({ id: `sub_${org.id}_b`, customer, price: PRICES.business, status: "active" });
    standIn.setSubscription(sub);
    const event = stripeEvent("customer.subscription.created", sub);
    expect((await deliver(event)).json.result).toBe("applied");
    const after = await billingOf(org.id);
    // Stripe now says something else, but this is a replay: nothing may change.
    standIn.setSubscription({ ...sub, status: "canceled" });
    expect(await deliver(event)).toEqual({ status: 200, json: { received: true, type: "customer.subscription.created", result: "duplicate" } });
    expect(retrievals(String(sub.id))).toBe(1);
    expect(await billingOf(org.id)).toEqual(after);
    expect(await db().auditLog.count({ where: { orgId: org.id, action: "billing.subscription_changed" } })).toBe(1);
  });

  it("applies an upgrade and a downgrade, and leaves an older event delivered after a newer one without effect", async () => {
    const { org, customer } = await customerOrg();
    const id = `sub_${org.id}_c`;
    standIn.setSubscription(subscriptionObject({ id, customer, price: PRICES.team, status: "active" }));
    expect((await deliver(stripeEvent("customer.subscription.created", subscriptionObject({ id, customer, price: PRICES.team, status: "active" }), { created: t0 - 300 }))).json.result).toBe("applied");
    expect((await billingOf(org.id)).plan).toBe("team");

    const up = subscriptionObject({ id, customer, price: PRICES.business, status: "active" });
    standIn.setSubscription(up);
    const upgrade = stripeEvent("customer.subscription.updated", up, { created: t0 - 200 });
    expect((await deliver(upgrade)).json.result).toBe("applied");
    expect((await billingOf(org.id)).plan).toBe("business");
    expect(limitsForOrg(await billingOf(org.id)).monthlyErrors).toBe(100_000);

    const down = subscriptionObject({ id, customer, price: PRICES.team, status: "active" });
    standIn.setSubscription(down);
    const downgrade = stripeEvent("customer.subscription.updated", down, { created: t0 - 100 });
    expect((await deliver(downgrade)).json.result).toBe("applied");
    const afterDowngrade = await billingOf(org.id);
    expect(afterDowngrade).toMatchObject({ plan: "team", lastStripeEventId: downgrade.id, lastStripeEventAt: new Date((t0 - 100) * 1000) });

    // The upgrade's sibling event, created before the downgrade, arrives last; and Stripe's
    // answer has moved on meanwhile. Out of order: nothing changes.
    standIn.setSubscription(up);
    const late = stripeEvent("invoice.paid", { id: `in_${org.id}`, object: "invoice", customer, parent: { type: "subscription_details", subscription_details: { subscription: id } } }, { created: t0 - 150 });
    expect((await deliver(late)).json.result).toBe("stale");
    expect(await billingOf(org.id)).toEqual(afterDowngrade);
    expect(await db().stripeEvent.findUniqueOrThrow({ where: { id: String(late.id) } })).toMatchObject({ result: "stale", orgId: org.id });
    const changes = await db().auditLog.findMany({ where: { orgId: org.id, action: "billing.subscription_changed" }, orderBy: { id: "asc" } });
    expect(changes.map((c) => (c.data as { to: { plan: string } }).to.plan)).toEqual(["team", "business", "team"]);
  });

  it("falls back to free on cancellation, keeping the customer for a later checkout", async () => {
    const { org, customer } = await customerOrg();
    const id = `sub_${org.id}_d`;
    standIn.setSubscription(subscriptionObject({ id, customer, price: PRICES.team, status: "active" }));
    await deliver(stripeEvent("customer.subscription.created", subscriptionObject({ id, customer, price: PRICES.team, status: "active" }), { created: t0 - 10 }));
    const canceled = subscriptionObject({ id, customer, price: PRICES.team, status: "canceled" });
    standIn.setSubscription(canceled);
    expect((await deliver(stripeEvent("customer.subscription.deleted", canceled))).json.result).toBe("applied");
    const state = await billingOf(org.id);
    expect(state).toMatchObject({ plan: "free", subscriptionStatus: "canceled", stripeCustomerId: customer, currentPeriodEnd: null });
    expect(limitsForOrg(state).monthlyErrors).toBe(5_000);
    expect(retentionPlan(state).retentionDays).toBe(30);
  });

  it("keeps the plan's limits for the grace period after a failed payment, then applies the free plan's, and restores them when paid", async () => {
    const { org, customer } = await customerOrg();
    const id = `sub_${org.id}_e`;
    const failedAt = new Date(Date.parse("2026-03-10T12:00:00Z"));
    standIn.setSubscription(subscriptionObject({ id, customer, price: PRICES.team, status: "active" }));
    await deliver(stripeEvent("customer.subscription.created", subscriptionObject({ id, customer, price: PRICES.team, status: "active" }), { created: t0 - 60 }));

    standIn.setSubscription(subscriptionObject({ id, customer, price: PRICES.team, status: "past_due" }));
    const invoice = { id: `in_${org.id}_1`, object: "invoice", customer, parent: { type: "subscription_details", subscription_details: { subscription: id } } };
    const failed = signedDelivery(stripeEvent("invoice.payment_failed", invoice, { created: t0 - 30 }), webhookSecret);
    expect((await receiveStripeWebhook(failed.body, failed.signature, failedAt)).body.result).toBe("applied");
    let state = await billingOf(org.id);
    expect(state).toMatchObject({ plan: "team", subscriptionStatus: "past_due", pastDueSince: failedAt });

    // A retry failing again days later does not restart the grace period.
    const again = signedDelivery(stripeEvent("customer.subscription.updated", { id, object: "subscription", customer }, { created: t0 - 20 }), webhookSecret);
    expect((await receiveStripeWebhook(again.body, again.signature, new Date(failedAt.getTime() + 3 * DAY))).body.result).toBe("applied");
    state = await billingOf(org.id);
    expect(state.pastDueSince).toEqual(failedAt);

    const at = (days: number) => failedAt.getTime() + days * DAY;
    expect(limitsForOrg(state, at(6.9)).monthlyErrors).toBe(50_000);
    expect(limitsForOrg(state, at(7.1)).monthlyErrors).toBe(5_000);
    expect(effectivePlan(state, at(7.1)).id).toBe("free");
    // Data is kept: retention still follows the plan paid for.
    expect(retentionPlan(state).retentionDays).toBe(90);

    standIn.setSubscription(subscriptionObject({ id, customer, price: PRICES.team, status: "active" }));
    const paid = signedDelivery(stripeEvent("invoice.paid", { ...invoice, id: `in_${org.id}_2` }, { created: t0 - 10 }), webhookSecret);
    expect((await receiveStripeWebhook(paid.body, paid.signature, new Date(at(9)))).body.result).toBe("applied");
    state = await billingOf(org.id);
    expect(state).toMatchObject({ plan: "team", subscriptionStatus: "active", pastDueSince: null });
    expect(limitsForOrg(state, at(9)).monthlyErrors).toBe(50_000);
  });

  it("refuses a bad signature with 400 and changes nothing", async () => {
    const { org, customer } = await customerOrg();
    const sub = subscriptionObject({ id: `sub_${org.id}_f`, customer, price: PRICES.business, status: "active" });
    standIn.setSubscription(sub);
    const before = await billingOf(org.id);
    const event = stripeEvent("customer.subscription.created", sub);

    const wrongSecret = await deliver(event, `whsec_${"x".repeat(32)}`);
    expect(wrongSecret).toEqual({ status: 400, json: { detail: "invalid webhook signature" } });
    const { body, signature } = signedDelivery(event, webhookSecret);
    const tampered = await stripeWebhook(
      new Request("http://localhost/api/webhooks/stripe", { method: "POST", body: body.replace('"active"', '"trialing"'), headers: { "stripe-signature": signature } }),
    );
    expect(tampered.status).toBe(400);
    const unsigned = await stripeWebhook(new Request("http://localhost/api/webhooks/stripe", { method: "POST", body }));
    expect(unsigned.status).toBe(400);

    expect(await billingOf(org.id)).toEqual(before);
    expect(retrievals(String(sub.id))).toBe(0);
    expect(await db().stripeEvent.count({ where: { id: String(event.id) } })).toBe(0);
  });

  it("answers 500 when Stripe cannot be read, so the event is retried and applied later", async () => {
    const { org, customer } = await customerOrg();
    const sub = subscriptionObject({ id: `sub_${org.id}_g`, customer, price: PRICES.team, status: "active" });
    standIn.setSubscription(sub);
    const event = stripeEvent("customer.subscription.created", sub);
    standIn.failRequests(/^\/v1\/subscriptions\//);
    try {
      expect((await deliver(event)).status).toBe(500);
    } finally {
      standIn.failRequests(null);
    }
    expect((await billingOf(org.id)).plan).toBe("free");
    expect(await db().stripeEvent.count({ where: { id: String(event.id) } })).toBe(0);
    expect(await deliver(event)).toMatchObject({ status: 200, json: { result: "applied" } });
    expect((await billingOf(org.id)).plan).toBe("team");
  });

  it("does not let a late event about a replaced subscription override the live one", async () => {
    const { org, customer } = await customerOrg();
    const old = `sub_${org.id}_old`;
    const live = `sub_${org.id}_new`;
    standIn.setSubscription(subscriptionObject({ id: old, customer, price: PRICES.team, status: "canceled" }));
    standIn.setSubscription(subscriptionObject({ id: live, customer, price: PRICES.business, status: "active" }));
    await deliver(stripeEvent("customer.subscription.created", subscriptionObject({ id: live, customer, price: PRICES.business, status: "active" }), { created: t0 - 50 }));
    const result = await deliver(stripeEvent("customer.subscription.deleted", { id: old, object: "subscription", customer }, { created: t0 }));
    expect(result.json.result).toBe("stale");
    expect(await billingOf(org.id)).toMatchObject({ plan: "business", stripeSubscriptionId: live, subscriptionStatus: "active" });
  });

  it("acknowledges events for unknown customers and event types it does not handle", async () => {
    const unknown = await deliver(stripeEvent("customer.subscription.updated", { id: "sub_nobody", object: "subscription", customer: "cus_nobody" }));
    expect(unknown).toEqual({ status: 200, json: { received: true, type: "customer.subscription.updated", result: "ignored" } });
    expect(retrievals("sub_nobody")).toBe(0);
    const other = await deliver(stripeEvent("charge.succeeded", { id: "ch_1", object: "charge" }));
    expect(other).toEqual({ status: 200, json: { received: true, type: "charge.succeeded", result: "ignored" } });

    // An event naming an org's customer, about a subscription that is someone else's.
    const { org, customer } = await customerOrg();
    const foreign = subscriptionObject({ id: `sub_${org.id}_foreign`, customer: "cus_someone_else", price: PRICES.business, status: "active" });
    standIn.setSubscription(foreign);
    const mixed = await deliver(stripeEvent("customer.subscription.updated", { ...foreign, customer }));
    expect(mixed.json.result).toBe("ignored");
    expect((await billingOf(org.id)).plan).toBe("free");
  });
});

describe("plan entitlements", () => {
  it("limits the free plan to one member, at invitation and at acceptance", async () => {
    const { org, owner, customer } = await customerOrg();
    await expect(inviteMember(owner, { email: `a-${org.id}@example.com`, role: "member" })).rejects.toMatchObject({
      code: "forbidden",
      message: "the Free plan allows 1 member: upgrade to add more",
    });
    const id = `sub_${org.id}_seats`;
    standIn.setSubscription(subscriptionObject({ id, customer, price: PRICES.team, status: "active" }));
    await deliver(stripeEvent("customer.subscription.created", subscriptionObject({ id, customer, price: PRICES.team, status: "active" }), { created: t0 - 10 }));
    const invitee = await db().user.create({ data: { email: `b-${org.id}@example.com` } });
    const { url } = await inviteMember(owner, { email: invitee.email, role: "member" });

    // Canceled before the invitation is accepted: the free plan's single seat is taken.
    standIn.setSubscription(subscriptionObject({ id, customer, price: PRICES.team, status: "canceled" }));
    await deliver(stripeEvent("customer.subscription.deleted", { id, object: "subscription", customer }));
    await expect(acceptInvitation(invitee.id, url.split("/").at(-1)!)).rejects.toMatchObject({ code: "forbidden" });
    expect(await db().membership.count({ where: { orgId: org.id } })).toBe(1);
  });

  it("lets only an owner set an on-demand budget, on a paid plan, and extends the quota by what it buys", async () => {
    const { org, owner, customer } = await customerOrg();
    await expect(setOnDemandBudget(owner, 5_000)).rejects.toMatchObject({ code: "bad_request", message: "pay-as-you-go needs a paid plan: upgrade first" });
    const id = `sub_${org.id}_od`;
    standIn.setSubscription(subscriptionObject({ id, customer, price: PRICES.team, status: "active" }));
    await deliver(stripeEvent("customer.subscription.created", subscriptionObject({ id, customer, price: PRICES.team, status: "active" }), { created: t0 - 10 }));
    const billing = await addMember(org.id, "billing");
    await expect(setOnDemandBudget(billing.viewer, 5_000)).rejects.toMatchObject({ code: "forbidden" });

    await setOnDemandBudget(owner, 3_000);
    const state = await billingOf(org.id);
    expect(state.onDemandBudgetCents).toBe(3_000);
    // $30 at 30 cents per 1,000 errors buys 100,000 errors.
    expect(onDemandEvents(3_000)).toBe(100_000);
    expect(limitsForOrg(state).monthlyErrors).toBe(150_000);
    const audit = await db().auditLog.findFirstOrThrow({ where: { orgId: org.id, action: "billing.on_demand_budget" } });
    expect(audit).toMatchObject({ actorId: owner.userId, data: { from: 0, to: 3_000 } });
  });

  it("exports the audit log as CSV on the Business plan only, to owners and admins", async () => {
    const { org, owner, customer } = await customerOrg();
    const id = `sub_${org.id}_audit`;
    const team = subscriptionObject({ id, customer, price: PRICES.team, status: "active" });
    standIn.setSubscription(team);
    await deliver(stripeEvent("customer.subscription.created", team, { created: t0 - 20 }));
    await expect(exportAuditLogCsv(owner)).rejects.toMatchObject({ code: "forbidden", message: "audit log export is part of the Business plan" });

    const business = subscriptionObject({ id, customer, price: PRICES.business, status: "active" });
    standIn.setSubscription(business);
    await deliver(stripeEvent("customer.subscription.updated", business, { created: t0 - 10 }));
    await db().auditLog.create({ data: { orgId: org.id, actorId: owner.userId, action: "=cmd|' /C calc'!A0", data: { note: 'say "hi", then leave' } } });
    const csv = (await exportAuditLogCsv(owner)).trim().split("\n");
    expect(csv[0]).toBe("id,created_at,actor_id,actor_email,action,target_type,target_id,data");
    expect(csv.filter((line) => line.includes(",billing.subscription_changed,subscription,"))).toHaveLength(2);
    // A formula is defused, and quotes and commas are escaped.
    expect(csv.at(-1)).toContain(`,'=cmd|' /C calc'!A0,,,"{""note"":""say \\""hi\\"", then leave""}"`);
    const { viewer: member } = await addMember(org.id, "member");
    await expect(exportAuditLogCsv(member)).rejects.toMatchObject({ code: "forbidden" });
  });
});
