import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { flushOutcomes } from "@/lib/usage/flush-outcomes";
import { createKey, createOrgWithProject } from "../support/factories";
import { envelope, errorEvent, eventEnvelope, newEventId } from "../support/envelopes";
import { send } from "../support/http";
import { streamItems } from "../support/ingest";
import { type Running, NODE, WITH_TSX, freePort, start } from "../support/processes";

// Quotas come from the environment at boot, so each scenario runs its own ingest process.
async function ingestWith(env: Record<string, string>) {
  const port = await freePort();
  const process = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(port), ...env });
  await process.waitFor(/ingest listening/);
  return { process, base: `http://127.0.0.1:${port}` };
}

const post = (base: string, projectId: number, key: string, body = eventEnvelope()) =>
  send(`${base}/api/${projectId}/envelope/?sentry_key=${key}`, { body });

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
});

function parseRateLimits(header: unknown) {
  const [seconds, categories, scope, reason] = String(header).split(":");
  return { seconds: Number(seconds), categories: categories!.split(";"), scope, reason };
}

describe("per-key rate limit", () => {
  it("answers 429 with Retry-After and X-Sentry-Rate-Limits past the key's limit, and counts it", async () => {
    const ingest = await ingestWith({});
    running.push(ingest.process);
    const { org, project, key } = await createOrgWithProject({ rateLimit: { count: 2, window: 60 } });
    expect((await post(ingest.base, project.id, key.publicKey)).status).toBe(200);
    expect((await post(ingest.base, project.id, key.publicKey)).status).toBe(200);
    const limited = await post(ingest.base, project.id, key.publicKey);
    expect(limited.status).toBe(429);
    const limit = parseRateLimits(limited.headers["x-sentry-rate-limits"]);
    expect(limit).toMatchObject({ categories: ["error"], scope: "key", reason: "key_quota" });
    expect(limit.seconds).toBeGreaterThan(0);
    expect(limit.seconds).toBeLessThanOrEqual(60);
    expect(Number(limited.headers["retry-after"])).toBe(limit.seconds);

    // The key's limit counts every item a DSN holder can send, sessions and check-ins too.
    const session = envelope({}, [{ type: "session", payload: JSON.stringify({ sid: newEventId(), status: "ok" }) }]);
    const sessionLimited = await post(ingest.base, project.id, key.publicKey, session);
    expect(sessionLimited.status).toBe(429);
    expect(parseRateLimits(sessionLimited.headers["x-sentry-rate-limits"])).toMatchObject({ categories: ["session"], scope: "key" });
    expect((await streamItems(project.id)).map((i) => i.type)).toEqual(["event", "event"]);

    await flushOutcomes(Date.now() + 3 * 60_000);
    const outcomes = await db().outcomeCount.findMany({ where: { orgId: org.id }, orderBy: [{ category: "asc" }, { outcome: "asc" }] });
    expect(outcomes.map((o) => [o.category, o.outcome, o.reason, Number(o.quantity)])).toEqual([
      ["error", "accepted", "", 2],
      ["error", "rate_limited", "key_quota", 1],
      ["session", "rate_limited", "key_quota", 1],
    ]);
  });
});

describe("monthly quota and spike protection", () => {
  it("stops the org's errors at its monthly quota across projects (usage_exceeded, organization scope)", async () => {
    const ingest = await ingestWith({ DEFAULT_MONTHLY_ERROR_QUOTA: "3" });
    running.push(ingest.process);
    const { org, project, key } = await createOrgWithProject();
    const second = await db().project.create({ data: { orgId: org.id, slug: "second", name: "Second" } });
    const secondKey = await createKey(second.id);
    for (let i = 0; i < 2; i++) expect((await post(ingest.base, project.id, key.publicKey)).status).toBe(200);
    expect((await post(ingest.base, second.id, secondKey.publicKey)).status).toBe(200);
    const limited = await post(ingest.base, second.id, secondKey.publicKey);
    expect(limited.status).toBe(429);
    const limit = parseRateLimits(limited.headers["x-sentry-rate-limits"]);
    expect(limit).toMatchObject({ scope: "organization", reason: "usage_exceeded", categories: ["error"] });
    const now = new Date();
    const untilNextMonth = (Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - now.getTime()) / 1000;
    // Until the month resets, capped as Relay caps it (300 s), so a lifted quota reaches SDKs soon.
    expect(Math.abs(limit.seconds - Math.min(untilNextMonth, 300))).toBeLessThan(5);

    // Another org is not affected.
    const other = await createOrgWithProject();
    expect((await post(ingest.base, other.project.id, other.key.publicKey)).status).toBe(200);
  });

  it("keeps one project from using the org's month in an hour (smart_rate_limit, project scope)", async () => {
    const ingest = await ingestWith({ SPIKE_PROTECTION_HOURLY_LIMIT: "2" });
    running.push(ingest.process);
    const { org, project, key } = await createOrgWithProject();
    const second = await db().project.create({ data: { orgId: org.id, slug: "calm", name: "Calm" } });
    const secondKey = await createKey(second.id);
    for (let i = 0; i < 2; i++) expect((await post(ingest.base, project.id, key.publicKey)).status).toBe(200);
    const limited = await post(ingest.base, project.id, key.publicKey);
    expect(limited.status).toBe(429);
    expect(parseRateLimits(limited.headers["x-sentry-rate-limits"])).toMatchObject({ scope: "project", reason: "smart_rate_limit" });
    expect((await post(ingest.base, second.id, secondKey.publicKey)).status).toBe(200);
  });

  it("bounds a project's unprocessed backlog instead of growing Redis", async () => {
    const ingest = await ingestWith({ INGEST_MAX_BACKLOG: "3" });
    running.push(ingest.process);
    const { project, key } = await createOrgWithProject();
    for (let i = 0; i < 3; i++) expect((await post(ingest.base, project.id, key.publicKey)).status).toBe(200);
    const limited = await post(ingest.base, project.id, key.publicKey);
    expect(limited.status).toBe(429);
    expect(parseRateLimits(limited.headers["x-sentry-rate-limits"])).toMatchObject({ scope: "project", reason: "backlog_full" });
    expect(await streamItems(project.id)).toHaveLength(3);

    // Requests that arrive together: the bound still holds (accept-batch.test.ts checks it within one script call).
    const other = await createOrgWithProject();
    const together = await Promise.all(Array.from({ length: 8 }, () => post(ingest.base, other.project.id, other.key.publicKey)));
    expect(together.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429, 429, 429, 429]);
    expect(await streamItems(other.project.id)).toHaveLength(3);
  });
});

describe("key changes reach every ingest process within 5 s", () => {
  let ingests: Awaited<ReturnType<typeof ingestWith>>[];
  beforeAll(async () => {
    ingests = [await ingestWith({}), await ingestWith({})];
  });
  afterAll(async () => {
    await Promise.all(ingests.map((i) => i.process.stop("SIGKILL")));
  });

  it("refuses a disabled key on both processes within 5 s", async () => {
    const { project, key } = await createOrgWithProject();
    for (const ingest of ingests) expect((await post(ingest.base, project.id, key.publicKey)).status).toBe(200);
    await db().projectKey.update({ where: { id: key.id }, data: { active: false } });
    const disabledAt = Date.now();
    const refusedAfter = await Promise.all(
      ingests.map(async (ingest) => {
        for (;;) {
          if ((await post(ingest.base, project.id, key.publicKey)).status === 403) return Date.now() - disabledAt;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }),
    );
    for (const ms of refusedAfter) expect(ms).toBeLessThan(5000);
  });
});

describe("inbound filters", () => {
  it("drops filtered events, answers 200 and counts them as filtered", async () => {
    const ingest = await ingestWith({});
    running.push(ingest.process);
    const { org, project, key } = await createOrgWithProject({ filters: { localhost: true, releases: ["*-canary"] } });
    const local = errorEvent({ user: { ip_address: "127.0.0.1" } });
    const canary = errorEvent({ release: "web@2.0-canary" });
    const kept = errorEvent();
    for (const event of [local, canary, kept]) {
      const res = await post(ingest.base, project.id, key.publicKey, eventEnvelope(event));
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ id: event.event_id });
    }
    expect((await streamItems(project.id)).map((i) => i.eventId)).toEqual([kept.event_id]);
    await flushOutcomes(Date.now() + 3 * 60_000);
    const filtered = await db().outcomeCount.findMany({ where: { orgId: org.id, outcome: "filtered" }, orderBy: { reason: "asc" } });
    expect(filtered.map((o) => [o.reason, Number(o.quantity)])).toEqual([
      ["localhost", 1],
      ["release-version", 1],
    ]);
  });
});
