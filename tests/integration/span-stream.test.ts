import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, sqlRows } from "@/lib/db";
import { PENDING_SPANS_GRACE_MS, unsafeSweepPendingSpans } from "@/lib/performance/sweep-pending-spans";
import type { StoredSpan } from "@/lib/performance/types";
import { allLanes, projectStreamKey } from "@/lib/ingest/stream-keys";
import { redis } from "@/lib/redis";
import { flushOutcomes } from "@/lib/usage/flush-outcomes";
import { drainAll, eventIdInLane } from "../support/drain";
import { errorEvent } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest, streamItems } from "../support/ingest";
import { NODE, type Running, WITH_TSX, freePort, run, start } from "../support/processes";
import { attr, newIds, spanEnvelope, streamedSegment, streamedSpan } from "../support/streamed-spans";

// Streamed spans (span v2 items), what @sentry/node and @sentry/browser 11 send by default:
// through the real ingest and the drain, each segment becomes a transaction as a `transaction`
// item does. The SDK runs unchanged in its own process (tests/support/span-stream/); what it
// sends only by timing (children long before their segment, resends) and hostile containers
// are crafted in its shape (tests/support/streamed-spans.ts).

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
type Row = {
  event_id: string;
  name: string;
  op: string;
  method: string;
  status: string;
  trace_id: string | null;
  span_id: string;
  parent_span_id: string | null;
  release: string | null;
  environment: string | null;
  span_count: number;
  payload: { spans: StoredSpan[]; contexts: { trace: Record<string, unknown> } } & Record<string, unknown>;
};

let ingest: Awaited<ReturnType<typeof startIngest>>;
const tenants: Tenant[] = [];
beforeAll(async () => {
  ingest = await startIngest();
});
afterAll(async () => {
  await ingest.close();
  await db().organization.deleteMany({ where: { id: { in: tenants.map((t) => t.org.id) } } });
});

async function tenant(): Promise<Tenant> {
  const created = await createOrgWithProject();
  tenants.push(created);
  return created;
}

const post = (t: Tenant, body: Buffer) =>
  send(`${ingest.base}/api/${t.project.id}/envelope/?sentry_key=${t.key.publicKey}`, { body });

async function postOk(t: Tenant, body: Buffer) {
  const reply = await post(t, body);
  expect(reply.status, reply.body).toBe(200);
}

const transactionsOf = (projectId: number) =>
  sqlRows<Row>`
    select event_id, name, op, method, status, trace_id::text, span_id, parent_span_id, release, environment, span_count, payload
    from transactions where project_id = ${projectId} order by start_timestamp, name`;
const pendingOf = (projectId: number) =>
  sqlRows<{ segment_id: string; span_count: number }>`
    select segment_id, span_count from pending_spans where project_id = ${projectId} order by id`;
const outcomesOf = (projectId: number) =>
  sqlRows<{ category: string; outcome: string; reason: string; quantity: number }>`
    select category, outcome::text, reason, quantity::int from outcome_counts
    where project_id = ${projectId} and outcome <> 'accepted' order by category, outcome, reason`;
const undashed = (uuid: string | null) => uuid?.replaceAll("-", "") ?? null;
const spanNamed = (row: Row, description: string) =>
  row.payload.spans.find((s) => s.description === description)!;

describe("@sentry/node 11 at its defaults", () => {
  it("streams segments that become transactions: names, ops, methods, nesting, failures, errors in the trace, stats", async () => {
    const t = await tenant();
    const dsn = `${ingest.base.replace("//", `//${t.key.publicKey}@`)}/${t.project.id}`;
    const result = await run(
      process.execPath,
      ["--import", "./tests/support/span-stream/instrument.mjs", "tests/support/span-stream/app.mjs"],
      {
        SENTRY_DSN: dsn,
      },
    );
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("flushed true");
    const [, taskTrace, taskSpan] = result.output.match(/task ([0-9a-f]{32}) ([0-9a-f]{16})/)!;
    const [, , longSpan] = result.output.match(/long ([0-9a-f]{32}) ([0-9a-f]{16})/)!;
    const exceptionId = result.output.match(/exception ([0-9a-f]{32})/)![1]!;

    // What the SDK sent: span items, the long task's children in an item without their segment.
    const items = await streamItems(t.project.id);
    const spanItems = items.filter((i) => i.type === "span").map((i) => JSON.parse(i.payload.toString()));
    expect(spanItems.length).toBeGreaterThanOrEqual(2);
    expect(items.some((i) => i.type === "transaction")).toBe(false);
    type Sent = { span_id: string; attributes: Record<string, { value: unknown }> };
    const ofLong = (s: Sent) => s.attributes["sentry.segment.id"]?.value === longSpan;
    const early = spanItems.find((c) => c.items.some((s: Sent) => ofLong(s) && s.span_id !== longSpan));
    expect(early.items.some((s: Sent) => s.span_id === longSpan)).toBe(false);

    // ingest counted each segment as one transaction, by its byte search
    await flushOutcomes(Date.now() + 3 * 60_000);
    const accepted = await db().outcomeCount.findMany({
      where: { projectId: t.project.id, category: "transaction", outcome: "accepted" },
    });
    expect(accepted.reduce((sum, row) => sum + Number(row.quantity), 0)).toBe(5);

    await drainAll(t.project.id);
    const rows = await transactionsOf(t.project.id);
    expect(rows.map((r) => [r.name, r.op, r.method, r.status]).sort()).toEqual(
      [
        ["GET /api/checkout", "http.server", "GET", "internal_error"],
        ["GET /api/products", "http.server", "GET", "ok"],
        ["GET /api/products", "http.server", "GET", "ok"],
        ["long-import", "task", "", "ok"],
        ["nightly-report", "task", "", "ok"],
      ].sort(),
    );
    for (const row of rows) {
      expect(undashed(row.trace_id)).toBe(taskTrace);
      expect(row).toMatchObject({ release: "spans@2.0.0", environment: "staging" });
    }

    // Nesting, as the waterfall reads it: parent span ids within each transaction.
    const task = rows.find((r) => r.name === "nightly-report")!;
    expect(task.span_id).toBe(taskSpan);
    expect(task.parent_span_id).toBeNull();
    const loadOrders = spanNamed(task, "load orders");
    expect(loadOrders.parent_span_id).toBe(taskSpan);
    expect(spanNamed(task, "SELECT * FROM orders").parent_span_id).toBe(loadOrders.span_id);
    expect(spanNamed(task, "SELECT * FROM orders").op).toBe("db.query");
    const clientSpans = task.payload.spans.filter((s) => s.op === "http.client");
    expect(clientSpans).toHaveLength(3);
    const products = rows.filter((r) => r.name === "GET /api/products");
    for (const row of products) {
      // each request's server transaction hangs under the task's client span that made it
      expect(clientSpans.map((s) => s.span_id)).toContain(row.parent_span_id);
      const render = spanNamed(row, "render products");
      expect(render.parent_span_id).toBe(row.span_id);
      expect(spanNamed(row, "GET price cache").parent_span_id).toBe(render.span_id);
      expect(spanNamed(row, "SELECT * FROM products WHERE id = $1").data).toMatchObject({
        "db.system": "postgresql",
      });
      expect(row.payload.contexts.trace).toMatchObject({ op: "http.server", status: "ok" });
      expect(row.payload.request).toMatchObject({ method: "GET" });
    }

    // The long task's children came before it and were stored with it.
    const long = rows.find((r) => r.name === "long-import")!;
    expect(long.payload.spans.map((s) => s.description).sort()).toEqual([
      "parse rows",
      "read file",
      "write rows",
    ]);
    expect(long.span_count).toBe(3);
    expect(await pendingOf(t.project.id)).toEqual([]);

    // The error captured inside a span shares the failed request's trace and names its span.
    const checkout = rows.find((r) => r.name === "GET /api/checkout")!;
    const [error] = await sqlRows<{
      trace_id: string;
      payload: { contexts: { trace: { span_id: string } } };
    }>`
      select trace_id::text, payload from events where project_id = ${t.project.id} and event_id = ${exceptionId}`;
    expect(undashed(error!.trace_id)).toBe(undashed(checkout.trace_id));
    expect(error!.payload.contexts.trace.span_id).toBe(spanNamed(checkout, "charge card").span_id);

    // Counted as transaction items are: per group, with the failure.
    const stats = await sqlRows<{ name: string; method: string; count: number; failures: number }>`
      select g.name, g.method, s.count, s.failures from transaction_stats s join transaction_groups g on g.id = s.group_id
      where s.project_id = ${t.project.id} and s.resolution = 'h' order by g.name`;
    expect(stats.map((s) => [s.name, s.method, s.count, s.failures])).toEqual([
      ["GET /api/checkout", "GET", 1, 1],
      ["GET /api/products", "GET", 2, 0],
      ["long-import", "", 1, 0],
      ["nightly-report", "", 1, 0],
    ]);
    // the error counts for the name its segment became (the errorCount of the group)
    const errorStats = await sqlRows<{ name: string; count: number }>`
      select name, count from transaction_error_stats where project_id = ${t.project.id} and resolution = 'h'`;
    expect(errorStats).toEqual([{ name: "GET /api/checkout", count: 1 }]);
    expect(await outcomesOf(t.project.id)).toEqual([]);
  });
});

describe("children sent apart from their segment", () => {
  it("wait in pending_spans, then join their segment's transaction when it comes", async () => {
    const t = await tenant();
    const ids = newIds();
    const children = [
      streamedSpan(ids),
      streamedSpan(
        ids,
        { name: "render products" },
        {
          "sentry.op": attr("function"),
          password: attr("hunter2"),
          "card.note": attr("paid with 4111 1111 1111 1111"),
        },
      ),
    ];
    await postOk(t, spanEnvelope(children));
    await drainAll(t.project.id);
    expect(await transactionsOf(t.project.id)).toEqual([]);
    expect(await pendingOf(t.project.id)).toEqual([{ segment_id: ids.segment, span_count: 2 }]);

    await postOk(t, spanEnvelope([streamedSpan(ids, { name: "SELECT 1" }), streamedSegment(ids)]));
    await drainAll(t.project.id);
    const [row] = await transactionsOf(t.project.id);
    expect(row).toMatchObject({
      name: "GET /api/products",
      op: "http.server",
      method: "GET",
      status: "ok",
      span_id: ids.segment,
      span_count: 3,
    });
    expect(row!.payload.spans.map((s) => s.description).sort()).toEqual([
      "SELECT * FROM products WHERE id = $1",
      "SELECT 1",
      "render products",
    ]);
    expect(row!.payload.spans.every((s) => s.parent_span_id === ids.segment)).toBe(true);
    // scrubbed while they waited, as a transaction's own spans are
    expect(spanNamed(row!, "render products").data).toMatchObject({
      password: "[Filtered]",
      "card.note": "paid with [Filtered]",
    });
    const [raw] = await sqlRows<{
      text: string;
    }>`select payload::text as text from transactions where project_id = ${t.project.id}`;
    expect(raw!.text).not.toContain("hunter2");
    expect(await pendingOf(t.project.id)).toEqual([]);
  });

  it("that ended after it was sent join its stored transaction; sent again, they change nothing", async () => {
    const t = await tenant();
    const ids = newIds();
    await postOk(t, spanEnvelope([streamedSpan(ids), streamedSegment(ids)]));
    await drainAll(t.project.id);
    const late = spanEnvelope([streamedSpan(ids, { name: "INSERT INTO audit_log" })]);
    for (let i = 0; i < 2; i++) {
      await postOk(t, late);
      await drainAll(t.project.id);
      const [row] = await transactionsOf(t.project.id);
      expect(row!.span_count).toBe(2);
      expect(row!.payload.spans.map((s) => s.description).sort()).toEqual([
        "INSERT INTO audit_log",
        "SELECT * FROM products WHERE id = $1",
      ]);
      expect(await pendingOf(t.project.id)).toEqual([]);
    }
  });

  it("are swept, and counted, once the grace period passed without their segment", async () => {
    const t = await tenant();
    const [stale, fresh] = [newIds(), newIds()];
    await postOk(t, spanEnvelope([streamedSpan(stale), streamedSpan(stale), streamedSpan(stale)]));
    await postOk(t, spanEnvelope([streamedSpan(fresh)]));
    await drainAll(t.project.id);
    await sqlRows`
      update pending_spans set received_at = now() - ${`${PENDING_SPANS_GRACE_MS + 60_000} milliseconds`}::interval
      where project_id = ${t.project.id} and segment_id = ${stale.segment}`;
    const swept = await unsafeSweepPendingSpans();
    expect(swept.spans).toBeGreaterThanOrEqual(3);
    expect(await pendingOf(t.project.id)).toEqual([{ segment_id: fresh.segment, span_count: 1 }]);
    expect(await outcomesOf(t.project.id)).toEqual([
      { category: "span", outcome: "invalid", reason: "missing_segment", quantity: 3 },
    ]);
    // a sweep with nothing past the grace period changes nothing
    await unsafeSweepPendingSpans();
    expect(await pendingOf(t.project.id)).toHaveLength(1);
  });

  it("of another org never join a segment of the same ids", async () => {
    const [a, b] = [await tenant(), await tenant()];
    const ids = newIds();
    await postOk(a, spanEnvelope([streamedSpan(ids), streamedSpan(ids)]));
    await drainAll(a.project.id);
    await postOk(b, spanEnvelope([streamedSegment(ids)]));
    await drainAll(b.project.id);
    const [inB] = await transactionsOf(b.project.id);
    expect(inB!.payload.spans).toEqual([]);
    expect(await pendingOf(a.project.id)).toEqual([{ segment_id: ids.segment, span_count: 2 }]);
    await postOk(a, spanEnvelope([streamedSegment(ids)]));
    await drainAll(a.project.id);
    const [inA] = await transactionsOf(a.project.id);
    expect(inA!.payload.spans).toHaveLength(2);
    expect(await transactionsOf(b.project.id)).toHaveLength(1);
  });
});

describe("redelivery", () => {
  it("changes nothing: a container sent twice makes one transaction, children sent twice are kept once", async () => {
    const t = await tenant();
    const whole = newIds();
    const body = spanEnvelope([streamedSpan(whole), streamedSegment(whole)]);
    await postOk(t, body);
    await postOk(t, body);
    const split = newIds();
    const children = spanEnvelope([streamedSpan(split), streamedSpan(split, { name: "SELECT 2" })]);
    await postOk(t, children);
    await drainAll(t.project.id);
    await postOk(t, children);
    await drainAll(t.project.id);
    expect(await pendingOf(t.project.id)).toHaveLength(2);
    await postOk(t, spanEnvelope([streamedSegment(split)]));
    await postOk(t, spanEnvelope([streamedSegment(split)]));
    await drainAll(t.project.id);

    const rows = await transactionsOf(t.project.id);
    expect(rows.map((r) => [r.span_id, r.span_count, r.payload.spans.length]).sort()).toEqual(
      [
        [whole.segment, 1, 1],
        [split.segment, 2, 2],
      ].sort(),
    );
    const [stats] = await sqlRows<{ count: number }>`
      select sum(count)::int as count from transaction_stats where project_id = ${t.project.id} and resolution = 'h'`;
    expect(stats!.count).toBe(2);
    expect(await pendingOf(t.project.id)).toEqual([]);
  });
});

describe("hostile containers", () => {
  it("get a clear 4xx at ingest or are dropped and counted by the worker, never a failed batch", async () => {
    const t = await tenant();
    const ids = newIds();
    const good = newIds();
    const nested = (depth: number) => `${"[".repeat(depth)}1${"]".repeat(depth)}`;
    const hugeAttributes = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`blob.${i}`, attr("x".repeat(20_000))]),
    );
    const spans5000 = Array.from({ length: 5000 }, () => streamedSpan(ids));

    // refused at ingest, with the reason
    const refused = [
      await post(t, spanEnvelope(spans5000, { item_count: 5000 })),
      await post(t, spanEnvelope(`{"version":2,"items":[${"1,".repeat(6 * 1024 * 1024)}1]}`)),
      await post(t, spanEnvelope("[1, 2, 3]")),
      await post(t, spanEnvelope(`{"version":2,"items":[{"is_segm\\u0065nt":tru}`)),
    ];
    expect(refused.map((r) => [r.status, r.json().detail])).toEqual([
      [413, expect.stringMatching(/5000 spans, more than 1000/)],
      [413, expect.stringMatching(/larger than 10485760 bytes/)],
      [400, expect.stringMatching(/not a JSON object/)],
      [400, expect.stringMatching(/not valid JSON/)],
    ]);

    // taken by ingest, dropped whole by the worker
    for (const payload of [
      JSON.stringify({ version: 3, items: [streamedSegment(ids)] }),
      JSON.stringify({ version: 2, items: { 0: streamedSegment(ids) } }),
      JSON.stringify({ version: 2, items: spans5000 }),
      "{ this is not json }",
    ])
      await postOk(t, spanEnvelope(payload, { item_count: 1 }));
    // taken, with what is wrong in them dropped
    const bad = [
      streamedSpan(good, { span_id: "not hex at all!!" }),
      streamedSpan(good, { trace_id: "abc" }),
      streamedSpan(good, { start_timestamp: "yesterday" }),
      streamedSpan(good, { end_timestamp: 1, start_timestamp: 2 }),
      streamedSpan(good, {}, { "sentry.segment.id": attr("zz") }),
      "not a span",
    ];
    // an array nested 50,000 deep: more than JSON.stringify (or any recursive walk) survives
    const odd = JSON.stringify(
      streamedSpan(
        good,
        { name: "odd values" },
        { ...hugeAttributes, deep: attr("DEEP"), obj: attr({ a: 1 }, "object") },
      ),
    );
    const late = newIds();
    const items = [...bad.map((b) => JSON.stringify(b)), odd.replace('"DEEP"', nested(50_000))];
    items.push(
      JSON.stringify(streamedSegment(good)),
      JSON.stringify(streamedSegment(late, { start_timestamp: Date.now() / 1000 - 40 * 86_400 })),
    );
    await postOk(t, spanEnvelope(`{"version":2,"items":[${items.join(",")}]}`, { item_count: items.length }));
    await drainAll(t.project.id);

    const rows = await transactionsOf(t.project.id);
    expect(rows.map((r) => r.span_id)).toEqual([good.segment]);
    const [row] = rows;
    expect(row!.payload.spans.map((s) => s.description)).toEqual(["odd values"]);
    const data = row!.payload.spans[0]!.data ?? {};
    expect(data.deep).toBeUndefined();
    expect(data.obj).toBeUndefined();
    const [size] = await sqlRows<{ bytes: number }>`
      select octet_length(payload::text) as bytes from transactions where project_id = ${t.project.id}`;
    expect(size!.bytes).toBeLessThanOrEqual(256 * 1024);
    // the three containers refused whole and the bad spans; the container that is not JSON;
    // the segment open for 40 days, which Relay refuses too
    expect(await outcomesOf(t.project.id)).toEqual([
      { category: "span", outcome: "invalid", reason: "invalid_span", quantity: 3 + bad.length },
      { category: "span", outcome: "invalid", reason: "processing_error", quantity: 1 },
      { category: "transaction", outcome: "invalid", reason: "invalid_transaction", quantity: 1 },
    ]);
    const letters = await db().deadLetter.findMany({ where: { projectId: t.project.id } });
    expect(letters.map((l) => l.itemType)).toEqual(["span", "span", "span", "span"]);
    expect(await streamItems(t.project.id)).toEqual([]);
  });
});

describe("quota and lanes", () => {
  let quotaIngest: Running;
  afterAll(async () => {
    await quotaIngest?.stop("SIGKILL");
  });

  it("counts each segment as a transaction against the monthly quota; past it, 429 naming transaction;span", async () => {
    const port = await freePort();
    quotaIngest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], {
      INGEST_PORT: String(port),
      DEFAULT_MONTHLY_TRANSACTION_QUOTA: "3",
    });
    await quotaIngest.waitFor(/ingest listening/);
    const t = await tenant();
    const postTo = (body: Buffer) =>
      send(`http://127.0.0.1:${port}/api/${t.project.id}/envelope/?sentry_key=${t.key.publicKey}`, { body });
    const [a, b, c, d] = [newIds(), newIds(), newIds(), newIds()];
    // two segments: two of three
    expect(
      (await postTo(spanEnvelope([streamedSpan(a), streamedSegment(a), streamedSegment(b)]))).status,
    ).toBe(200);
    // children only: nothing yet, their segment counts when it comes
    expect((await postTo(spanEnvelope([streamedSpan(c), streamedSpan(c)]))).status).toBe(200);
    const limited = await postTo(spanEnvelope([streamedSegment(c), streamedSegment(d)]));
    expect(limited.status).toBe(429);
    const [seconds, categories, scope, reason] = String(limited.headers["x-sentry-rate-limits"]).split(":");
    expect({ categories, scope, reason }).toEqual({
      categories: "transaction;span",
      scope: "organization",
      reason: "usage_exceeded",
    });
    expect(Number(seconds)).toBeGreaterThan(0);
    expect((await postTo(spanEnvelope([streamedSegment(c)]))).status).toBe(200);
    expect((await postTo(spanEnvelope([streamedSegment(d)]))).status).toBe(429);

    await flushOutcomes(Date.now() + 3 * 60_000);
    const usage = await db().outcomeCount.findMany({
      where: { projectId: t.project.id },
      orderBy: [{ outcome: "asc" }],
    });
    expect(
      usage
        .filter((u) => Number(u.quantity) > 0)
        .map((u) => [u.category, u.outcome, u.reason, Number(u.quantity)]),
    ).toEqual([
      ["transaction", "accepted", "", 3],
      ["transaction", "rate_limited", "usage_exceeded", 3],
    ]);
    await drainAll(t.project.id);
    expect((await transactionsOf(t.project.id)).map((r) => r.span_id).sort()).toEqual(
      [a.segment, b.segment, c.segment].sort(),
    );
  });

  it("keeps a request with spans in lane 0, whatever else it holds", async () => {
    const t = await tenant();
    const ids = newIds();
    const event = errorEvent({ event_id: eventIdInLane(1) });
    const spans = spanEnvelope([streamedSegment(ids)])
      .toString()
      .split("\n")
      .slice(1)
      .join("\n");
    await postOk(
      t,
      Buffer.from(
        `${JSON.stringify({ event_id: event.event_id })}\n${JSON.stringify({ type: "event" })}\n${JSON.stringify(event)}\n${spans}`,
      ),
    );
    const lengths = await Promise.all(
      allLanes.map((lane) => redis().xlen(projectStreamKey(t.project.id, lane))),
    );
    expect(lengths).toEqual([2, 0]);
    await drainAll(t.project.id);
    expect(await transactionsOf(t.project.id)).toHaveLength(1);
  });
});
