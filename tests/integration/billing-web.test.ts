// First: turns billing on and starts the Stripe stand-in before lib/ reads the environment.
import { PRICES, billingEnv, standIn, webhookSecret } from "../support/billing-env";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE, createSession } from "@/lib/auth/sessions";
import { db } from "@/lib/db";
import { unsafeCreateApiToken } from "@/lib/tokens";
import { addMember } from "../support/billing";
import { createOrgWithProject } from "../support/factories";
import { ROOT, type Running, run, startNextServer } from "../support/processes";
import { signedDelivery, stripeEvent, subscriptionObject } from "../support/stripe-stand-in";

// Billing through the built web app (`next start`), as Stripe and a browser reach it: the
// webhook route on the raw body, the usage & billing page, the checkout server action and
// stats_v2; and the same build with billing off, as a self-hosted install runs it.

type Web = { process: Running; url: string };
const startWeb = startNextServer;

let web: Web;
let selfHosted: Web;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, ".next/server/app/[org]/settings/audit/export/route.js"))) {
    const build = await run("npm", ["run", "build"]);
    expect(build.code, build.output).toBe(0);
  }
  [web, selfHosted] = await Promise.all([
    startWeb({}),
    startWeb(Object.fromEntries(Object.keys(billingEnv).map((name) => [name, ""]))),
  ]);
}, 600_000);

afterAll(async () => {
  await Promise.all([web?.process.stop("SIGKILL"), selfHosted?.process.stop("SIGKILL")]);
  await standIn.close();
});

const cookieFor = async (userId: number) => `${SESSION_COOKIE}=${(await createSession(userId)).token}`;

async function postWebhook(base: string, event: Record<string, unknown>, secret = webhookSecret) {
  const { body, signature } = signedDelivery(event, secret);
  const res = await fetch(`${base}/api/webhooks/stripe`, { method: "POST", body, headers: { "stripe-signature": signature, "content-type": "application/json" } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function usage(orgId: number, projectId: number, rows: [string, string, string, number][]) {
  const day = new Date(new Date().toISOString().slice(0, 10));
  await db().outcomeCount.createMany({
    data: rows.map(([category, outcome, reason, quantity]) => ({ orgId, projectId, day, category, outcome: outcome as "accepted", reason, quantity })),
  });
}

/** The text of an element by its data-testid in server-rendered HTML. */
function testId(html: string, id: string): string | undefined {
  const match = new RegExp(`data-testid="${id}"[^>]*>(.*?)</`, "s").exec(html);
  return match?.[1]?.replace(/<!-- -->/g, "").replace(/<[^>]+>/g, "");
}

describe("the Stripe webhook route on the running app", () => {
  it("applies a signed event, and answers 400 to a bad signature without changing anything", async () => {
    const { org } = await createOrgWithProject();
    const customer = `cus_web_${org.id}`;
    await db().organization.update({ where: { id: org.id }, data: { stripeCustomerId: customer } });
    const sub = subscriptionObject({ id: `sub_web_${org.id}`, customer, price: PRICES.business, status: "active" });
    standIn.setSubscription(sub);
    const event = stripeEvent("customer.subscription.created", sub);

    expect(await postWebhook(web.url, event, "whsec_not-the-secret")).toEqual({ status: 400, json: { detail: "invalid webhook signature" } });
    expect((await db().organization.findUniqueOrThrow({ where: { id: org.id } })).plan).toBe("free");

    expect(await postWebhook(web.url, event)).toEqual({ status: 200, json: { received: true, type: "customer.subscription.created", result: "applied" } });
    expect(await db().organization.findUniqueOrThrow({ where: { id: org.id } })).toMatchObject({ plan: "business", subscriptionStatus: "active" });
    expect(await postWebhook(web.url, event)).toMatchObject({ status: 200, json: { result: "duplicate" } });
  });
});

describe("the usage & billing page", () => {
  it("shows an owner the plan, status, period end, usage against the quota and the 30-day chart", async () => {
    const { org, project, user } = await createOrgWithProject();
    const customer = `cus_page_${org.id}`;
    await db().organization.update({ where: { id: org.id }, data: { stripeCustomerId: customer } });
    const periodEnd = Math.floor(Date.parse("2027-01-15T00:00:00Z") / 1000);
    const sub = subscriptionObject({ id: `sub_page_${org.id}`, customer, price: PRICES.team, status: "active", periodEnd });
    standIn.setSubscription(sub);
    expect((await postWebhook(web.url, stripeEvent("customer.subscription.created", sub))).status).toBe(200);
    await usage(org.id, project.id, [
      ["error", "accepted", "", 1_200],
      ["error", "filtered", "localhost", 30],
      ["error", "rate_limited", "usage_exceeded", 5],
      ["transaction", "accepted", "", 50],
    ]);

    const res = await fetch(`${web.url}/${org.slug}/settings/billing`, { headers: { cookie: await cookieFor(user.id) } });
    expect(res.status).toBe(200);
    // React separates adjacent text with <!-- --> in server-rendered HTML.
    const html = (await res.text()).replace(/<!-- -->/g, "");
    expect(testId(html, "plan-name")).toBe("Team");
    expect(html).toContain("(Active)");
    expect(html).toContain("Current period ends 2027-01-15");
    expect(testId(html, "month-accepted")).toBe("1,200");
    expect(testId(html, "month-quota")).toBe("50,000");
    expect(testId(html, "month-rate-limited")).toBe("5");
    expect(testId(html, "usage-error-accepted")).toBe("Accepted: 1,200");
    expect(testId(html, "usage-error-filtered")).toBe("Filtered: 30");
    expect(testId(html, "usage-error-rate_limited")).toBe("Rate limited: 5");
    expect(testId(html, "usage-transaction-accepted")).toBe("Accepted: 50");
    expect(html).toMatch(/<svg[^>]*aria-label="error per day"/);
    expect(html).toContain("Manage billing");
    expect(html).toContain("On-demand budget");

    const member = await addMember(org.id, "member");
    const refused = await (await fetch(`${web.url}/${org.slug}/settings/billing`, { headers: { cookie: await cookieFor(member.user.id) } })).text();
    expect(refused).toContain("Only owners, admins and billing members can see usage and billing.");
    expect(refused).not.toContain("1,200");
  });

  it("says billing is disabled on a self-hosted install, and still shows usage", async () => {
    const { org, project, user } = await createOrgWithProject();
    await usage(org.id, project.id, [["error", "accepted", "", 42]]);
    const html = await (await fetch(`${selfHosted.url}/${org.slug}/settings/billing`, { headers: { cookie: await cookieFor(user.id) } })).text();
    expect(testId(html, "billing-disabled")).toBe("Billing is disabled on this self-hosted installation: no plan limits apply.");
    expect(testId(html, "month-accepted")).toBe("42");
    expect(html).not.toContain("Upgrade to");
    expect((await postWebhook(selfHosted.url, stripeEvent("customer.subscription.created", {}))).status).toBe(404);
  });
});

describe("the audit log export", () => {
  it("downloads CSV for a Business org's owner, and refuses a Team org", async () => {
    const orgOn = async (price: string) => {
      const { org, user } = await createOrgWithProject();
      const customer = `cus_audit_${org.id}`;
      await db().organization.update({ where: { id: org.id }, data: { stripeCustomerId: customer } });
      const sub = subscriptionObject({ id: `sub_audit_${org.id}`, customer, price, status: "active" });
      standIn.setSubscription(sub);
      expect((await postWebhook(web.url, stripeEvent("customer.subscription.created", sub))).status).toBe(200);
      return { org, cookie: await cookieFor(user.id) };
    };
    const business = await orgOn(PRICES.business);
    const res = await fetch(`${web.url}/${business.org.slug}/settings/audit/export`, { headers: { cookie: business.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const csv = await res.text();
    expect(csv.split("\n")[0]).toBe("id,created_at,actor_id,actor_email,action,target_type,target_id,data");
    expect(csv).toContain(",billing.subscription_changed,subscription,");
    const page = await (await fetch(`${web.url}/${business.org.slug}/settings/audit`, { headers: { cookie: business.cookie } })).text();
    expect(page).toContain(`href="/${business.org.slug}/settings/audit/export"`);

    const team = await orgOn(PRICES.team);
    const refused = await fetch(`${web.url}/${team.org.slug}/settings/audit/export`, { headers: { cookie: team.cookie } });
    expect(refused.status).toBe(403);
    expect(await fetch(`${web.url}/${business.org.slug}/settings/audit/export`, { headers: { cookie: team.cookie } }).then((r) => r.status)).toBe(404);
  });
});

type ManifestAction = { id: string; filename: string; exportedName: string; page: string };

function billingAction(name: string): ManifestAction {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, ".next/server/server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { filename: string; exportedName: string; workers: Record<string, unknown> }>;
  };
  const [id, action] = Object.entries(manifest.node).find(([, a]) => a.filename === "app/[org]/settings/billing/actions.ts" && a.exportedName === name)!;
  return { id, filename: action.filename, exportedName: name, page: Object.keys(action.workers)[0]! };
}

/** Posts a server action as React's client does (see tests/integration/isolation.test.ts). */
async function callAction(base: string, action: ManifestAction, orgSlug: string, cookie: string, args: unknown[]) {
  const { encodeReply } = (await import(
    // @ts-expect-error Next's vendored React client has no type declarations
    "next/dist/compiled/react-server-dom-webpack/client.node.js"
  )) as { encodeReply: (value: unknown) => Promise<string | FormData> };
  const res = await fetch(`${base}/${orgSlug}/settings/billing`, {
    method: "POST",
    headers: { "next-action": action.id, cookie, origin: base, accept: "text/x-component" },
    body: await encodeReply(args),
    redirect: "manual",
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  return data;
};

describe("the checkout server action", () => {
  it("sends an owner to Stripe Checkout, and refuses a member without calling Stripe", async () => {
    const { org, user } = await createOrgWithProject();
    const checkout = billingAction("checkoutAction");
    const sessions = () => standIn.requestsTo("POST", "/v1/checkout/sessions").filter((r) => r.body.client_reference_id === String(org.id));

    const member = await addMember(org.id, "member");
    const refused = await callAction(web.url, checkout, org.slug, await cookieFor(member.user.id), [org.slug, {}, form({ plan: "team" })]);
    expect(refused.body).toContain("your role (member) may not billing:manage");
    expect(sessions()).toHaveLength(0);

    const sent = await callAction(web.url, checkout, org.slug, await cookieFor(user.id), [org.slug, {}, form({ plan: "team" })]);
    expect(sessions()).toHaveLength(1);
    expect(sessions()[0]!.body).toMatchObject({ mode: "subscription", line_items: [{ price: PRICES.team, quantity: "1" }, { price: PRICES.overage }] });
    const redirect = sent.headers.get("x-action-redirect") ?? "";
    expect(redirect, `${sent.status} ${sent.body.slice(0, 300)}`).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_/);
    expect(sessions()[0]!.body.success_url).toBe(`${web.url}/${org.slug}/settings/billing?checkout=success`);
  });
});

describe("GET /api/0/organizations/{org}/stats_v2/ on the running app", () => {
  it("answers usage by outcome and category in Sentry's shape, 400 for a bad query, 401 without a token", async () => {
    const { org, project, user } = await createOrgWithProject();
    const other = await db().project.create({ data: { orgId: org.id, slug: "other", name: "Other" } });
    await usage(org.id, project.id, [
      ["error", "accepted", "", 10],
      ["error", "rate_limited", "key_quota", 2],
      ["transaction", "accepted", "", 7],
    ]);
    await usage(org.id, other.id, [["error", "accepted", "", 3]]);
    const { token } = await unsafeCreateApiToken({ userId: user.id, orgId: org.id, name: "stats", scopes: ["org:read"] });
    const get = (query: string, auth = true) =>
      fetch(`${web.url}/api/0/organizations/${org.slug}/stats_v2/?${query}`, { headers: auth ? { authorization: `Bearer ${token}` } : {} });

    const res = await get("field=sum(quantity)&groupBy=outcome&groupBy=category&statsPeriod=14d&interval=1d");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { start: string; end: string; intervals: string[]; groups: { by: object; totals: Record<string, number>; series: Record<string, number[]> }[] };
    expect(body.intervals).toHaveLength(15);
    expect(body.start).toMatch(/^\d{4}-\d\d-\d\dT00:00:00Z$/);
    expect(body.intervals.at(-1)).toBe(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
    expect(body.groups.map((g) => [g.by, g.totals["sum(quantity)"], g.series["sum(quantity)"]!.at(-1)])).toEqual([
      // Ordered by the groupBy values, outcome first as asked.
      [{ category: "error", outcome: "accepted" }, 13, 13],
      [{ category: "transaction", outcome: "accepted" }, 7, 7],
      [{ category: "error", outcome: "rate_limited" }, 2, 2],
    ]);

    const byProject = (await (await get(`field=sum(quantity)&groupBy=project&category=error&outcome=accepted&project=${other.id}`)).json()) as typeof body;
    expect(byProject.groups.map((g) => [g.by, g.totals["sum(quantity)"]])).toEqual([[{ project: other.id }, 3]]);

    const bad = await get("field=sum(quantity)&groupBy=browser");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/groupBy: unknown value browser/);
    expect((await get("field=sum(quantity)&interval=1h")).status).toBe(400);
    expect((await get("field=sum(quantity)", false)).status).toBe(401);
  });
});
