import { afterEach, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { redis, redisKey } from "@/lib/redis";
import { droppedOutcomesKey } from "@/lib/usage/outcome-buckets";
import { flushOutcomes } from "@/lib/usage/flush-outcomes";
import { drainAll } from "../support/drain";
import { createOrgWithProject } from "../support/factories";
import { envelope, errorEvent, eventEnvelope, newEventId } from "../support/envelopes";
import { send } from "../support/http";
import { streamItems } from "../support/ingest";
import { type Running, NODE, WITH_TSX, freePort, start } from "../support/processes";

// Limits come from the environment at boot, so each scenario runs its own ingest process.
async function ingestWith(env: Record<string, string>) {
  const port = await freePort();
  const process = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(port), ...env });
  running.push(process);
  await process.waitFor(/ingest listening/);
  return `http://127.0.0.1:${port}`;
}

const running: Running[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
});

const post = (base: string, projectId: number, key: string, body: Buffer) =>
  send(`${base}/api/${projectId}/envelope/?sentry_key=${key}`, { body });

function rateLimits(header: unknown) {
  return String(header ?? "")
    .split(", ")
    .filter(Boolean)
    .map((limit) => {
      const [seconds, categories, scope, reason] = limit.split(":");
      return { seconds: Number(seconds), categories: categories!.split(";"), scope, reason };
    });
}

const usage = async (orgId: number) =>
  (await db().outcomeCount.findMany({ where: { orgId }, orderBy: [{ category: "asc" }, { outcome: "asc" }, { reason: "asc" }] })).map((o) => [
    o.category,
    o.outcome,
    o.reason,
    Number(o.quantity),
  ]);

function transactionEnvelope() {
  const eventId = newEventId();
  const now = Date.now() / 1000;
  const transaction = { event_id: eventId, type: "transaction", transaction: "GET /", start_timestamp: now - 0.2, timestamp: now, contexts: { trace: { trace_id: newEventId(), span_id: "a1b2c3d4e5f60718" } } };
  return envelope({ event_id: eventId }, [{ type: "transaction", payload: JSON.stringify(transaction) }]);
}

function eventWithAttachment(bytes: number) {
  const event = errorEvent();
  return envelope({ event_id: event.event_id }, [
    { type: "event", payload: JSON.stringify(event) },
    { type: "attachment", payload: Buffer.alloc(bytes, 0x61), headers: { filename: "log.txt", content_type: "text/plain" } },
  ]);
}

describe("usage counters cannot be forged or poisoned", () => {
  it("counts item types it does not take as `unknown` (filtered), and another tenant's usage still flushes", async () => {
    const base = await ingestWith({});
    const a = await createOrgWithProject();
    const b = await createOrgWithProject();
    // Item types crafted to end up as "accepted errors" in a `|`-joined counter name, and as two
    // counters for one row, which made the shared minute's insert fail on every retry.
    const forged = envelope({}, [
      { type: "error|accepted|", payload: "{}" },
      { type: "error|accepted||x", payload: "{}" },
      { type: `error|accepted|${"|".repeat(20)}`, payload: "{}" },
    ]);
    for (let i = 0; i < 3; i++) expect((await post(base, a.project.id, a.key.publicKey, forged)).status).toBe(200);
    expect((await post(base, b.project.id, b.key.publicKey, eventEnvelope())).status).toBe(200);
    expect(await streamItems(a.project.id)).toEqual([]);

    const dropped = Number((await redis().get(droppedOutcomesKey())) ?? 0);
    await flushOutcomes(Date.now() + 3 * 60_000);
    expect(await usage(a.org.id)).toEqual([["unknown", "filtered", "unsupported_item_type", 9]]);
    expect(await usage(b.org.id)).toEqual([["error", "accepted", "", 1]]);
    // Nothing was malformed: every field ingest wrote had its six parts.
    expect(Number((await redis().get(droppedOutcomesKey())) ?? 0)).toBe(dropped);
    const month = new Date().toISOString().slice(0, 7);
    expect(await redis().get(redisKey("quota", "org", a.org.id, month))).toBeNull();
  });
});

describe("client reports cannot name categories or reasons", () => {
  it("counts an SDK's discards under known categories and reasons only (else unknown / other)", async () => {
    const base = await ingestWith({});
    const { project, key } = await createOrgWithProject();
    const discarded = [
      { category: "error", reason: "queue_overflow", quantity: 2 },
      { category: "error|accepted|", reason: "sample_rate", quantity: 3 },
      { category: "transaction", reason: "\ufffd|accepted", quantity: 4 },
    ];
    const report = envelope({}, [{ type: "client_report", payload: JSON.stringify({ timestamp: Date.now() / 1000, discarded_events: discarded }) }]);
    expect((await post(base, project.id, key.publicKey, report)).status).toBe(200);
    await drainAll(project.id);
    const rows = await db().outcomeCount.findMany({ where: { projectId: project.id, outcome: "client_discard" }, orderBy: [{ category: "asc" }] });
    expect(rows.map((r) => [r.category, r.reason, Number(r.quantity)])).toEqual([
      ["error", "queue_overflow", 2],
      ["transaction", "other", 4],
      ["unknown", "sample_rate", 3],
    ]);
  });
});

describe("everything a DSN holder sends is metered", () => {
  it("stops transactions at the org's monthly transaction quota, apart from its errors", async () => {
    const base = await ingestWith({ DEFAULT_MONTHLY_TRANSACTION_QUOTA: "3", DEFAULT_MONTHLY_ERROR_QUOTA: "100" });
    const { org, project, key } = await createOrgWithProject();
    for (let i = 0; i < 3; i++) expect((await post(base, project.id, key.publicKey, transactionEnvelope())).status).toBe(200);
    const limited = await post(base, project.id, key.publicKey, transactionEnvelope());
    expect(limited.status).toBe(429);
    expect(rateLimits(limited.headers["x-sentry-rate-limits"])).toMatchObject([{ categories: ["transaction", "span"], scope: "organization", reason: "usage_exceeded" }]);
    expect((await post(base, project.id, key.publicKey, eventEnvelope())).status).toBe(200);
    await flushOutcomes(Date.now() + 3 * 60_000);
    expect(await usage(org.id)).toEqual([
      ["error", "accepted", "", 1],
      ["transaction", "accepted", "", 3],
      ["transaction", "rate_limited", "usage_exceeded", 1],
    ]);
  });

  it("counts transactions and attachments against the key's rate limit", async () => {
    const base = await ingestWith({});
    const { project, key } = await createOrgWithProject({ rateLimit: { count: 3, window: 60 } });
    for (let i = 0; i < 3; i++) expect((await post(base, project.id, key.publicKey, transactionEnvelope())).status).toBe(200);
    const limited = await post(base, project.id, key.publicKey, transactionEnvelope());
    expect(limited.status).toBe(429);
    expect(rateLimits(limited.headers["x-sentry-rate-limits"])).toMatchObject([{ categories: ["transaction", "span"], scope: "key", reason: "key_quota" }]);
    const attachment = await post(base, project.id, key.publicKey, eventWithAttachment(10));
    expect(attachment.status).toBe(429);
    expect(rateLimits(attachment.headers["x-sentry-rate-limits"])[0]!.categories.sort()).toEqual(["attachment", "error"]);
    expect(await streamItems(project.id)).toHaveLength(3);
  });

  it("meters attachments in bytes against the org's monthly attachment quota", async () => {
    const base = await ingestWith({ DEFAULT_MONTHLY_ATTACHMENT_MB: "1" });
    const { org, project, key } = await createOrgWithProject();
    const size = 600 * 1024;
    expect((await post(base, project.id, key.publicKey, eventWithAttachment(size))).status).toBe(200);
    // The second attachment would pass 1 MiB: it is refused, its event is still taken.
    const second = await post(base, project.id, key.publicKey, eventWithAttachment(size));
    expect(second.status).toBe(200);
    expect(rateLimits(second.headers["x-sentry-rate-limits"])).toMatchObject([{ categories: ["attachment"], scope: "organization", reason: "usage_exceeded" }]);
    // A small one still fits.
    expect((await post(base, project.id, key.publicKey, eventWithAttachment(1000))).headers["x-sentry-rate-limits"]).toBeUndefined();
    expect((await streamItems(project.id)).map((i) => i.type)).toEqual(["event", "attachment", "event", "event", "attachment"]);
    await flushOutcomes(Date.now() + 3 * 60_000);
    expect(await usage(org.id)).toEqual([
      ["attachment", "accepted", "", size + 1000],
      ["attachment", "rate_limited", "usage_exceeded", size],
      ["error", "accepted", "", 3],
    ]);
  });

  it("checks the backlog bound per item, so one envelope cannot overfill it", async () => {
    const base = await ingestWith({ INGEST_MAX_BACKLOG: "3" });
    const { project, key } = await createOrgWithProject();
    const event = errorEvent();
    const many = envelope({ event_id: event.event_id }, [
      { type: "event", payload: JSON.stringify(event) },
      ...Array.from({ length: 6 }, (_, i) => ({ type: "attachment", payload: `file ${i}`, headers: { filename: `${i}.txt` } })),
    ]);
    const res = await post(base, project.id, key.publicKey, many);
    expect(res.status).toBe(200);
    expect(rateLimits(res.headers["x-sentry-rate-limits"])).toMatchObject([{ categories: ["attachment"], scope: "project", reason: "backlog_full" }]);
    expect(await streamItems(project.id)).toHaveLength(3);
  });

  it("bounds a project's backlog in bytes too, so large items cannot fill Redis", async () => {
    const base = await ingestWith({ INGEST_MAX_BACKLOG_MB: "1" });
    const { org, project, key } = await createOrgWithProject();
    const size = 400 * 1024;
    for (let i = 0; i < 2; i++) expect((await post(base, project.id, key.publicKey, eventWithAttachment(size))).headers["x-sentry-rate-limits"]).toBeUndefined();
    const third = await post(base, project.id, key.publicKey, eventWithAttachment(size));
    expect(third.status).toBe(200);
    expect(rateLimits(third.headers["x-sentry-rate-limits"])).toMatchObject([{ categories: ["attachment"], scope: "project", reason: "backlog_full" }]);
    expect((await streamItems(project.id)).map((i) => i.type)).toEqual(["event", "attachment", "event", "attachment", "event"]);
    // Another project of the same org has a backlog of its own.
    const other = await db().project.create({ data: { orgId: org.id, slug: `other-${project.id}`, name: "Other" } });
    const otherKey = await db().projectKey.create({ data: { projectId: other.id, publicKey: newEventId(), secretKey: newEventId() } });
    expect((await post(base, other.id, otherKey.publicKey, eventWithAttachment(size))).headers["x-sentry-rate-limits"]).toBeUndefined();
  });
});
