import type Stripe from "stripe";
import { audit } from "../audit";
import { db } from "../db";
import { env } from "../env";
import { logger } from "../logger";
import { billingEnabled, planForPriceId, planOf } from "./plans";
import { stripe } from "./stripe";

// Stripe webhooks converge an org to its subscription as Stripe has it now. An event is only a
// nudge: which subscription and customer to look at. The subscription itself is re-read from
// Stripe, so events arriving late, twice or out of order cannot leave a stale state behind;
// and the last applied event's id and time are kept so a replay or an older event changes
// nothing at all.

export const HANDLED_EVENTS = new Set([
  "checkout.session.completed",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "invoice.paid",
  "invoice.payment_failed",
]);

/** Statuses in which the subscription grants its plan (past due: until the grace ends). */
const ENTITLED = new Set(["active", "trialing", "past_due", "unpaid"]);
const PAST_DUE = new Set(["past_due", "unpaid"]);

export type WebhookResult = { status: number; body: Record<string, unknown> };
export type ApplyResult = "applied" | "duplicate" | "stale" | "ignored";

/**
 * A webhook delivery: verifies the signature over the raw body (400, nothing read, when it does
 * not match), applies a handled event, and answers 500 when applying failed so Stripe retries.
 */
export async function receiveStripeWebhook(payload: string, signature: string | null, now = new Date()): Promise<WebhookResult> {
  const secret = env().STRIPE_WEBHOOK_SECRET;
  if (!billingEnabled() || !secret) return { status: 404, body: { detail: "billing is not configured" } };
  let event: Stripe.Event;
  try {
    event = (await stripe()).webhooks.constructEvent(payload, signature ?? "", secret);
  } catch (error) {
    logger.warn({ err: (error as Error).message }, "stripe webhook refused");
    return { status: 400, body: { detail: "invalid webhook signature" } };
  }
  if (!HANDLED_EVENTS.has(event.type)) return { status: 200, body: { received: true, type: event.type, result: "ignored" } };
  try {
    const result = await applyStripeEvent(event, now);
    logger.info({ stripeEvent: event.id, type: event.type, result }, "stripe webhook");
    return { status: 200, body: { received: true, type: event.type, result } };
  } catch (error) {
    logger.error({ err: error, stripeEvent: event.id, type: event.type }, "stripe webhook failed; Stripe will retry");
    return { status: 500, body: { detail: "the event could not be applied; it will be retried" } };
  }
}

type Target = { subscriptionId: string; customerId: string | null; orgHint: number | null };

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value == null ? null : typeof value === "string" ? value : value.id;

/** Which subscription (and customer, and org for a checkout) an event is about, if any. */
function targetOf(event: Stripe.Event): Target | null {
  switch (event.type) {
    case "checkout.session.completed": {
      const session = event.data.object;
      const subscriptionId = idOf(session.subscription);
      if (session.mode !== "subscription" || !subscriptionId) return null;
      const orgHint = /^\d{1,10}$/.test(session.client_reference_id ?? "") ? Number(session.client_reference_id) : null;
      return { subscriptionId, customerId: idOf(session.customer), orgHint };
    }
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
      return { subscriptionId: event.data.object.id, customerId: idOf(event.data.object.customer), orgHint: null };
    case "invoice.paid":
    case "invoice.payment_failed": {
      const invoice = event.data.object;
      const subscriptionId = idOf(invoice.parent?.subscription_details?.subscription);
      return subscriptionId ? { subscriptionId, customerId: idOf(invoice.customer), orgHint: null } : null;
    }
    default:
      return null;
  }
}

/** Applies one verified event: converges its org to the subscription as Stripe has it now. */
export async function applyStripeEvent(event: Stripe.Event, now = new Date()): Promise<ApplyResult> {
  if (await db().stripeEvent.findUnique({ where: { id: event.id }, select: { id: true } })) return "duplicate";
  const target = targetOf(event);
  const org = target && (await findOrg(target));
  if (!target || !org) {
    // Not ours (a one-off invoice, another product on the same Stripe account): remember it so
    // a redelivery is answered without work, and move on.
    await db().stripeEvent.createMany({
      data: [{ id: event.id, type: event.type, result: "ignored", createdAt: new Date(event.created * 1000) }],
      skipDuplicates: true,
    });
    return "ignored";
  }
  // The truth, read outside the transaction (a network call); a failure answers 500 (retry).
  const subscription = await (await stripe()).subscriptions.retrieve(target.subscriptionId);
  return db().$transaction(async (tx) => {
    const [current] = await tx.$queryRaw<OrgRow[]>`
      select id, plan, stripe_customer_id, stripe_subscription_id, subscription_status, past_due_since, last_stripe_event_at
      from organizations where id = ${org.id} for update`;
    if (!current) return "ignored";
    const created = new Date(event.created * 1000);
    // Recorded first: a concurrent delivery of the same event waits on the org lock, then
    // finds the id taken.
    const recorded = await tx.stripeEvent.createMany({
      data: [{ id: event.id, type: event.type, orgId: org.id, result: "applied", createdAt: created }],
      skipDuplicates: true,
    });
    if (recorded.count === 0) return "duplicate";
    // Another customer's subscription never changes this org, whatever the event said.
    if (current.stripe_customer_id && idOf(subscription.customer) !== current.stripe_customer_id) {
      await tx.stripeEvent.update({ where: { id: event.id }, data: { result: "ignored" } });
      return "ignored";
    }
    const stale =
      (current.last_stripe_event_at && created < current.last_stripe_event_at) || isSupersededSubscription(current, subscription);
    if (stale) {
      await tx.stripeEvent.update({ where: { id: event.id }, data: { result: "stale" } });
      return "stale";
    }
    const next = convergedState(current, subscription, now);
    await tx.organization.update({
      where: { id: org.id },
      data: {
        ...next,
        stripeCustomerId: current.stripe_customer_id ?? idOf(subscription.customer),
        lastStripeEventId: event.id,
        lastStripeEventAt: created,
      },
    });
    if (next.plan !== current.plan || next.subscriptionStatus !== current.subscription_status) {
      await audit(
        { userId: null, orgId: org.id },
        {
          action: "billing.subscription_changed",
          targetType: "subscription",
          targetId: subscription.id,
          data: {
            event: event.type,
            eventId: event.id,
            from: { plan: current.plan, status: current.subscription_status },
            to: { plan: next.plan, status: next.subscriptionStatus },
          },
        },
        tx,
      );
    }
    return "applied";
  });
}

type OrgRow = {
  id: number;
  plan: string;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  subscription_status: string | null;
  past_due_since: Date | null;
  last_stripe_event_at: Date | null;
};

async function findOrg(target: Target): Promise<{ id: number } | null> {
  if (target.customerId) {
    const byCustomer = await db().organization.findUnique({ where: { stripeCustomerId: target.customerId }, select: { id: true } });
    if (byCustomer) return byCustomer;
  }
  // A checkout names the org it was started for; trusted only for an org without a customer
  // yet (every checkout we start creates the customer first, so this is a repair path).
  if (target.orgHint !== null) {
    return db().organization.findFirst({ where: { id: target.orgHint, stripeCustomerId: null }, select: { id: true } });
  }
  return null;
}

// A subscription the org has already replaced (canceled, then subscribed anew) must not
// overwrite the live one when a late event about the old one arrives.
function isSupersededSubscription(org: OrgRow, subscription: Stripe.Subscription): boolean {
  return (
    org.stripe_subscription_id !== null &&
    org.stripe_subscription_id !== subscription.id &&
    ENTITLED.has(org.subscription_status ?? "") &&
    !ENTITLED.has(subscription.status)
  );
}

/** The org's billing fields for a subscription as Stripe has it. */
function convergedState(org: OrgRow, subscription: Stripe.Subscription, now: Date) {
  const status = subscription.status;
  const prices = subscription.items.data.map((item) => item.price.id);
  const mapped = prices.map(planForPriceId).find((plan) => plan !== null) ?? null;
  let plan: string = "free";
  if (ENTITLED.has(status)) {
    if (mapped) plan = mapped;
    else {
      // A price this deployment does not know (retired, or a misconfigured env): keep what the
      // org had rather than cut a paying customer to free, and say so loudly.
      logger.error({ subscription: subscription.id, prices }, "subscription has no known plan price");
      plan = org.stripe_subscription_id === subscription.id ? planOf(org.plan).id : "free";
    }
  }
  const periodEnds = subscription.items.data.map((item) => item.current_period_end).filter((t) => typeof t === "number");
  return {
    plan,
    stripeSubscriptionId: subscription.id,
    subscriptionStatus: status,
    currentPeriodEnd: ENTITLED.has(status) && periodEnds.length > 0 ? new Date(Math.max(...periodEnds) * 1000) : null,
    // The grace period runs from the first failure, not from each retry's event.
    pastDueSince: PAST_DUE.has(status) ? (org.past_due_since ?? now) : null,
  };
}
