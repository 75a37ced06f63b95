import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, sqlRows } from "@/lib/db";
import { SKETCH_RELATIVE_ACCURACY, type Sketch, sketchQuantiles } from "@/lib/performance/sketch";
import { unpackSketch } from "@/lib/performance/sketch-bytes";
import type { StoredSpan } from "@/lib/performance/types";
import { drainAll } from "../support/drain";
import { envelope, newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest, streamItems } from "../support/ingest";
import { run } from "../support/processes";

// The official @sentry/node SDK with tracing on (tests/support/sentry-tracing.mjs), through the
// real ingest and the drain: what the worker stores of its transactions and errors.

let ingest: Awaited<ReturnType<typeof startIngest>>;
beforeAll(async () => {
  ingest = await startIngest();
});
afterAll(() => ingest.close());

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
type Row = { event_id: string; name: string; op: string; method: string; status: string; trace_id: string | null; span_id: string; parent_span_id: string | null; duration_ms: number; span_count: number; payload: { spans: StoredSpan[] } & Record<string, unknown> };

const transactionsOf = (projectId: number) =>
  sqlRows<Row>`
    select event_id, t.name, t.op, t.method, status, trace_id::text, span_id, parent_span_id, duration_ms, span_count, payload
    from transactions t where project_id = ${projectId} order by start_timestamp`;
const groupsOf = (projectId: number) =>
  sqlRows<{ id: string; name: string; op: string; method: string }>`
    select id, name, op, method from transaction_groups where project_id = ${projectId} order by name`;
const statsOf = async (projectId: number) =>
  (
    await sqlRows<{ name: string; resolution: string; count: number; failures: number; duration_sum: number; sketch: Buffer; environment: string; release: string }>`
      select g.name, s.resolution, s.count, s.failures, s.duration_sum, s.sketch, s.environment, s.release
      from transaction_stats s join transaction_groups g on g.id = s.group_id
      where s.project_id = ${projectId} order by g.name, s.resolution`
  ).map((row): Omit<typeof row, "sketch"> & { sketch: Sketch } => ({ ...row, sketch: unpackSketch(row.sketch) }));
const errorStatsOf = (projectId: number) =>
  sqlRows<{ name: string; resolution: string; count: number; environment: string; release: string }>`
    select name, resolution, count, environment, release from transaction_error_stats where project_id = ${projectId} order by name, resolution`;
const spanOutcomesOf = (projectId: number) =>
  sqlRows<{ category: string; outcome: string; reason: string; quantity: string }>`
    select category, outcome::text, reason, quantity::text from outcome_counts
    where project_id = ${projectId} and outcome <> 'accepted' order by category, reason`;

const dashed = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

describe("transactions from @sentry/node", () => {
  let tenant: Tenant;
  let output = "";
  let envelopes: Buffer[] = [];

  beforeAll(async () => {
    tenant = await createOrgWithProject();
    const dsn = `${ingest.base.replace("//", `//${tenant.key.publicKey}@`)}/${tenant.project.id}`;
    const result = await run(process.execPath, ["tests/support/sentry-tracing.mjs"], { SENTRY_DSN: dsn });
    output = result.output;
    expect(result.code, output).toBe(0);
    expect(output).toContain("flushed true");
    // What ingest queued, kept to send again below (at-least-once delivery).
    envelopes = (await streamItems(tenant.project.id))
      .filter((item) => item.type === "transaction" || item.type === "event")
      .map((item) => envelope({ event_id: item.eventId }, [{ type: item.type, payload: item.payload }]));
    await drainAll(tenant.project.id);
  }, 60_000);

  it("groups them by name, op and method, with the status of each", async () => {
    expect(await groupsOf(tenant.project.id)).toMatchObject([
      { name: "GET /cart", op: "http.server", method: "GET" },
      { name: "GET /fail", op: "http.server", method: "GET" },
      { name: "nightly-checkout", op: "task", method: "" },
    ]);
    const rows = await transactionsOf(tenant.project.id);
    expect(rows.map((r) => [r.name, r.status]).sort()).toEqual([
      ["GET /cart", "ok"],
      ["GET /cart", "ok"],
      ["GET /cart", "ok"],
      ["GET /fail", "internal_error"],
      ["nightly-checkout", "ok"],
    ]);
    for (const row of rows) {
      expect(row.span_id).toMatch(/^[0-9a-f]{16}$/);
      expect(row.duration_ms).toBeGreaterThan(0);
      expect(row.span_count).toBe(row.payload.spans.length);
    }
  });

  it("keeps the spans nesting by parent_span_id, and links the server's transactions to the client spans of one trace", async () => {
    const rows = await transactionsOf(tenant.project.id);
    const task = rows.find((r) => r.name === "nightly-checkout")!;
    const traceHex = output.match(/trace ([0-9a-f]{32})/)![1]!;
    for (const row of rows) expect(row.trace_id).toBe(dashed(traceHex));
    expect(task.parent_span_id).toBeNull();

    const spans = task.payload.spans;
    const byDescription = (d: string) => spans.filter((s) => s.description === d);
    const [load] = byDescription("load carts");
    const [charge] = byDescription("charge");
    expect(load!.parent_span_id).toBe(task.span_id);
    expect(charge!.parent_span_id).toBe(task.span_id);
    const clients = spans.filter((s) => s.op === "http.client");
    expect(clients).toHaveLength(4);
    for (const client of clients) expect(client.parent_span_id).toBe(load!.span_id);
    const db = spans.find((s) => s.op === "db.query")!;
    expect(db.parent_span_id).toBe(load!.span_id);
    for (const span of spans) {
      expect(span.timestamp).toBeGreaterThanOrEqual(span.start_timestamp);
      expect(span.trace_id).toBe(traceHex);
    }
    // Each server transaction was started by one of the task's client spans.
    const servers = rows.filter((r) => r.op === "http.server");
    expect(servers.map((s) => s.parent_span_id).sort()).toEqual(clients.map((c) => c.span_id).sort());
    const failing = clients.find((c) => c.description?.endsWith("/fail"))!;
    expect(servers.find((s) => s.parent_span_id === failing.span_id)!.status).toBe("internal_error");
    // The server transactions' own db spans hang under their root span.
    for (const server of servers) expect(server.payload.spans.map((s) => s.parent_span_id)).toEqual([server.span_id]);
  });

  it("scrubs secrets in span SQL, descriptions and data", async () => {
    const task = (await transactionsOf(tenant.project.id)).find((r) => r.name === "nightly-checkout")!;
    const update = task.payload.spans.find((s) => s.description?.startsWith("UPDATE users"))!;
    expect(update.description).toBe("UPDATE users SET password = '[Filtered]' WHERE id = 7");
    expect(update.data!["db.statement"]).toBe("UPDATE users SET password = '[Filtered]' WHERE id = 7");
    expect(update.data!["http.query"]).toBe("token=[Filtered]&page=2");
    expect(update.data!.card).toBe("[Filtered]");
    expect(update.data!["db.system"]).toBe("postgresql");
    const document = JSON.stringify(task.payload);
    for (const secret of ["hunter2", "abc123", "4111 1111"]) expect(document).not.toContain(secret);
  });

  it("links errors captured inside spans to their trace, and counts them under their transaction's name", async () => {
    const rows = await transactionsOf(tenant.project.id);
    const events = await sqlRows<{ event_id: string; trace_id: string; transaction: string | null }>`
      select event_id, trace_id::text, payload->>'transaction' as transaction from events where project_id = ${tenant.project.id}`;
    const eventOf = (label: string) => events.find((e) => e.event_id === output.match(new RegExp(`^${label} ([0-9a-f]{32})`, "m"))![1])!;
    // Inside the task's span: the SDK names no transaction on the error, the trace links it.
    expect(eventOf("exception")).toMatchObject({ trace_id: rows[0]!.trace_id, transaction: null });
    // Inside the request the SDK instruments: the error carries the request's transaction name.
    expect(eventOf("request-exception")).toMatchObject({ trace_id: rows[0]!.trace_id, transaction: "GET /fail" });
    expect(await errorStatsOf(tenant.project.id)).toEqual([
      { name: "GET /fail", resolution: "d", count: 1, environment: "test", release: "tracing@1.0.0" },
      { name: "GET /fail", resolution: "h", count: 1, environment: "test", release: "tracing@1.0.0" },
    ]);
  });

  it("adds each transaction to its group's hourly and daily stats, failures and duration sketch included", async () => {
    const rows = await transactionsOf(tenant.project.id);
    const stats = await statsOf(tenant.project.id);
    expect(stats.map((s) => [s.name, s.resolution, s.count, s.failures, s.environment, s.release])).toEqual([
      ["GET /cart", "d", 3, 0, "test", "tracing@1.0.0"],
      ["GET /cart", "h", 3, 0, "test", "tracing@1.0.0"],
      ["GET /fail", "d", 1, 1, "test", "tracing@1.0.0"],
      ["GET /fail", "h", 1, 1, "test", "tracing@1.0.0"],
      ["nightly-checkout", "d", 1, 0, "test", "tracing@1.0.0"],
      ["nightly-checkout", "h", 1, 0, "test", "tracing@1.0.0"],
    ]);
    for (const stat of stats) {
      const durations = rows.filter((r) => r.name === stat.name).map((r) => r.duration_ms);
      expect(stat.duration_sum).toBeCloseTo(durations.reduce((a, b) => a + b, 0), 6);
      expect(Object.values(stat.sketch).reduce((a, b) => a + b, 0)).toBe(stat.count);
      const [max] = sketchQuantiles(stat.sketch, [1]);
      expect(Math.abs(max! - Math.max(...durations)) / Math.max(...durations)).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);
    }
  });

  it("changes nothing when the same items are delivered again", async () => {
    const before = await Promise.all([transactionsOf(tenant.project.id), statsOf(tenant.project.id), errorStatsOf(tenant.project.id)]);
    for (const body of envelopes) {
      const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, { body });
      expect(res.status, res.body).toBe(200);
    }
    await drainAll(tenant.project.id);
    const after = await Promise.all([transactionsOf(tenant.project.id), statsOf(tenant.project.id), errorStatsOf(tenant.project.id)]);
    expect(after).toEqual(before);
    expect(await spanOutcomesOf(tenant.project.id)).toEqual([]);
  });

  it("keeps another org's transaction of the same name in its own group and stats", async () => {
    const other = await createOrgWithProject();
    const now = Date.now() / 1000;
    const transaction = {
      event_id: newEventId(),
      type: "transaction",
      transaction: "GET /cart",
      start_timestamp: now - 0.5,
      timestamp: now,
      environment: "test",
      release: "tracing@1.0.0",
      contexts: { trace: { trace_id: newEventId(), span_id: "1".repeat(16), op: "http.server", status: "not_found", data: { "http.method": "get" } } },
      spans: [],
    };
    const body = envelope({ event_id: transaction.event_id }, [{ type: "transaction", payload: JSON.stringify(transaction) }]);
    const res = await send(`${ingest.base}/api/${other.project.id}/envelope/?sentry_key=${other.key.publicKey}`, { body });
    expect(res.status, res.body).toBe(200);
    await drainAll(other.project.id);

    const [theirs] = await groupsOf(other.project.id);
    const ours = (await groupsOf(tenant.project.id)).find((g) => g.name === "GET /cart")!;
    expect(theirs).toMatchObject({ name: "GET /cart", op: "http.server", method: "GET" });
    expect(theirs!.id).not.toBe(ours.id);
    expect((await statsOf(other.project.id)).map((s) => [s.resolution, s.count, s.failures])).toEqual([
      ["d", 1, 1],
      ["h", 1, 1],
    ]);
    expect((await statsOf(tenant.project.id)).filter((s) => s.name === "GET /cart").map((s) => s.count)).toEqual([3, 3]);
    const foreign = await db().transaction.count({ where: { projectId: tenant.project.id, groupId: BigInt(theirs!.id) } });
    expect(foreign).toBe(0);
    expect(await errorStatsOf(other.project.id)).toEqual([]);
  });
});
