// First: turns billing on and starts the Stripe stand-in before lib/ reads the environment.
import { PRICES, standIn, webhookSecret } from "../support/billing-env";
import { type IncomingMessage, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as statsV2 } from "@/app/api/0/organizations/[org]/stats_v2/route";
import { POST as stripeWebhook } from "@/app/api/webhooks/stripe/route";
import { billingOverview } from "@/lib/billing/overview";
import { db } from "@/lib/db";
import { redis, redisKey } from "@/lib/redis";
import { unsafeCreateApiToken } from "@/lib/tokens";
import { flushOutcomes } from "@/lib/usage/flush-outcomes";
import { eventEnvelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { run } from "../support/processes";
import { signedDelivery, stripeEvent, subscriptionObject } from "../support/stripe-stand-in";

// The monthly quota of a plan, end to end: the real @sentry/node SDK in its own process, the
// real ingest server, the quota from the org's plan, outcomes flushed to Postgres and read back
// through stats_v2 and the usage page's numbers, and a webhook upgrade that lifts the limit.

type Seen = { status: number; items: string[]; rateLimits: string | undefined; retryAfter: string | undefined };

/** A pass-through in front of ingest that records each envelope's item types and the answer. */
async function countingProxy(target: string) {
  const seen: Seen[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const plain = req.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body;
    const items = plain
      .toString()
      .split("\n")
      .flatMap((line) => {
        try {
          const type = (JSON.parse(line) as { type?: unknown }).type;
          return typeof type === "string" ? [type] : [];
        } catch {
          return [];
        }
      });
    const headers = { ...req.headers, "content-length": String(body.length) };
    delete headers["transfer-encoding"];
    const upstream = request(`${target}${req.url}`, { method: req.method, headers }, (answer) => {
      seen.push({
        status: answer.statusCode!,
        items,
        rateLimits: answer.headers["x-sentry-rate-limits"] as string | undefined,
        retryAfter: answer.headers["retry-after"] as string | undefined,
      });
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let ingest: Awaited<ReturnType<typeof startIngest>>;
let proxy: Awaited<ReturnType<typeof countingProxy>>;
beforeAll(async () => {
  ingest = await startIngest();
  proxy = await countingProxy(ingest.base);
});
afterAll(async () => {
  await proxy.close();
  await ingest.close();
  await standIn.close();
});

const month = () => new Date().toISOString().slice(0, 7);

describe("the free plan's monthly quota at ingest", () => {
  it("refuses errors past 5,000 a month, the SDK stops sending, the usage shows it, and an upgrade lifts the limit within seconds", async () => {
    const { org, project, key, user } = await createOrgWithProject();
    const customer = `cus_quota_${org.id}`;
    await db().organization.update({ where: { id: org.id }, data: { stripeCustomerId: customer } });

    // Earlier this month the org used 4,998 of its 5,000 errors: the counter ingest keeps in
    // Redis and the outcomes already flushed to Postgres on the 1st.
    const firstOfMonth = new Date(`${month()}-01T00:00:00Z`);
    await redis().set(redisKey("quota", "org", org.id, month()), 4_998, "EX", 32 * 86_400);
    await db().outcomeCount.create({
      data: { orgId: org.id, projectId: project.id, day: firstOfMonth, category: "error", outcome: "accepted", reason: "", quantity: 4_998 },
    });

    const dsn = `${proxy.base.replace("//", `//${key.publicKey}@`)}/${project.id}`;
    const burst = await run(process.execPath, ["tests/support/sentry-burst.mjs"], { SENTRY_DSN: dsn, COUNT: "6" });
    expect(burst.code, burst.output).toBe(0);
    expect(burst.output.match(/captured [0-9a-f]{32}/g)).toHaveLength(6);

    // Two fit, the third is refused with the quota's rate limit, and the SDK sends no more.
    const events = proxy.seen.filter((s) => s.items.includes("event"));
    expect(events.map((s) => s.status)).toEqual([200, 200, 429]);
    const [seconds, categories, scope, reason] = events[2]!.rateLimits!.split(":");
    expect({ categories, scope, reason }).toEqual({ categories: "error", scope: "organization", reason: "usage_exceeded" });
    // Until the month resets, capped at Relay's 300 s.
    expect(Number(seconds)).toBeGreaterThan(0);
    expect(Number(seconds)).toBeLessThanOrEqual(300);
    expect(events[2]!.retryAfter).toBe(seconds);

    // The outcomes, once flushed: stats_v2 and the usage page agree.
    await flushOutcomes(Date.now() + 3 * 60_000);
    const { token } = await unsafeCreateApiToken({ userId: user.id, orgId: org.id, name: "stats", scopes: ["org:read"] });
    const stats = await statsV2(
      new Request(`http://localhost/api/0/organizations/${org.slug}/stats_v2/?field=sum(quantity)&groupBy=outcome&groupBy=reason&category=error&statsPeriod=30d&interval=1d`, {
        headers: { authorization: `Bearer ${token}` },
      }),
      { params: Promise.resolve({ org: org.slug }) },
    );
    expect(stats.status).toBe(200);
    const body = (await stats.json()) as { intervals: string[]; groups: { by: Record<string, string>; totals: Record<string, number>; series: Record<string, number[]> }[] };
    expect(body.intervals.length).toBe(31);
    expect(body.groups.map((g) => [g.by, g.totals["sum(quantity)"]])).toEqual([
      [{ outcome: "accepted", reason: "" }, 5_000],
      [{ outcome: "rate_limited", reason: "usage_exceeded" }, 1],
    ]);
    const today = body.groups.find((g) => g.by.outcome === "rate_limited")!.series["sum(quantity)"]!.at(-1);
    expect(today).toBe(1);

    const overview = await billingOverview({ userId: user.id, orgId: org.id, role: "owner" });
    expect(overview).toMatchObject({ enabled: true, quota: 5_000, usage: { accepted: 5_000, rateLimited: 1 } });
    expect(overview.plan.id).toBe("free");

    // The owner upgrades: Stripe's webhook arrives; ingest sees the team plan's quota within
    // seconds (its key cache lives 3 s), with no restart and no message between processes.
    const post = () => send(`${ingest.base}/api/${project.id}/envelope/?sentry_key=${key.publicKey}`, { body: eventEnvelope() });
    expect((await post()).status).toBe(429);
    const sub = subscriptionObject({ id: `sub_quota_${org.id}`, customer, price: PRICES.team, status: "active" });
    standIn.setSubscription(sub);
    const { body: payload, signature } = signedDelivery(stripeEvent("customer.subscription.created", sub), webhookSecret);
    const hook = await stripeWebhook(new Request("http://localhost/api/webhooks/stripe", { method: "POST", body: payload, headers: { "stripe-signature": signature } }));
    expect(hook.status).toBe(200);
    const upgradedAt = Date.now();
    let lifted = 0;
    while (!lifted) {
      if ((await post()).status === 200) lifted = Date.now() - upgradedAt;
      else await new Promise((resolve) => setTimeout(resolve, 100));
      expect(Date.now() - upgradedAt).toBeLessThan(10_000);
    }
    expect(lifted).toBeLessThan(7_000);

    // A fresh SDK process (a redeploy, or the 300 s back-off over) is accepted again.
    const before = proxy.seen.length;
    const after = await run(process.execPath, ["tests/support/sentry-burst.mjs"], { SENTRY_DSN: dsn, COUNT: "2" });
    expect(after.code, after.output).toBe(0);
    expect(proxy.seen.slice(before).filter((s) => s.items.includes("event")).map((s) => s.status)).toEqual([200, 200]);
  });
});
