import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { sqlRows } from "@/lib/db";
import { MAX_DOCUMENT_BYTES } from "@/lib/performance/fit-document";
import type { StoredSpan } from "@/lib/performance/types";
import { drainAll } from "../support/drain";
import { envelope, newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { nodeTransaction } from "../support/transactions";

// Transactions as a hostile client may send them, all drained together with ordinary ones: each
// is stored (bounded, trimmed, its dropped spans counted) or refused alone (counted invalid and
// kept as a dead letter); none fails its batch or stalls the project.

let ingest: Awaited<ReturnType<typeof startIngest>>;
beforeAll(async () => {
  ingest = await startIngest();
});
afterAll(() => ingest.close());

const now = Date.now() / 1000;
const hex16 = (n: number) => n.toString(16).padStart(16, "0");

function transaction(name: string, fields: Record<string, unknown> = {}) {
  return {
    event_id: newEventId(),
    type: "transaction",
    transaction: name,
    start_timestamp: now - 1,
    timestamp: now,
    contexts: { trace: { trace_id: newEventId(), span_id: "f".repeat(16), op: "http.server", status: "ok" } },
    ...fields,
  };
}

const span = (n: number, fields: Record<string, unknown> = {}) => ({
  span_id: hex16(n + 1),
  parent_span_id: "f".repeat(16),
  op: "db",
  description: `SELECT ${n}`,
  start_timestamp: now - 1 + n / 100_000,
  timestamp: now - 1 + n / 100_000 + 0.001,
  ...fields,
});

function nested(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = { level: value };
  return value;
}

const cases = {
  ordinary: nodeTransaction(1),
  overLimit: transaction("1,050 spans", { spans: Array.from({ length: 1050 }, (_, n) => span(n)) }),
  noStart: transaction("no start", { start_timestamp: undefined }),
  endsBeforeStart: transaction("ends before it starts", { start_timestamp: now, timestamp: now - 5 }),
  farTimestamps: transaction("1e300", { start_timestamp: -1e300, timestamp: 1e300 }),
  tooLong: transaction("open for 40 days", { start_timestamp: now - 40 * 86_400 }),
  wrongTypes: {
    ...transaction("x"),
    transaction: 42,
    contexts: { trace: { trace_id: 7, span_id: ["a"], op: { x: 1 }, status: 5, data: "no" } },
    spans: "not a list",
    measurements: { lcp: { value: "fast" }, fcp: { value: 120.5, unit: "millisecond" } },
    request: { method: ["GET"] },
  },
  badSpans: transaction("bad spans", {
    spans: [
      { span_id: 123, start_timestamp: now - 1, timestamp: now },
      span(1, { span_id: "zz" }),
      span(2, { start_timestamp: "yesterday" }),
      span(3, { timestamp: now - 2 }),
      null,
      "a span",
      span(4, { timestamp: 1e300 }),
      span(5, { data: ["not", "an", "object"], tags: { nested: { a: 1 }, n: 5, ok: "yes" }, op: "x".repeat(500), status: { s: 1 } }),
    ],
  }),
  deep: transaction("deep data", { spans: [span(1, { data: { deep: nested(60) } })] }),
  bigData: transaction("1 MiB of span data", { spans: Array.from({ length: 800 }, (_, n) => span(n, { data: { blob: "d".repeat(1100) } })) }),
  bigExtra: transaction("1 MiB of extra", { extra: { blob: "e".repeat(1_000_000) }, spans: [span(1)] }),
  longDescriptions: transaction("long descriptions", { spans: Array.from({ length: 450 }, (_, n) => span(n, { description: `${n} ${"q".repeat(2100)}` })) }),
  tooManyToFit: transaction("spans that cannot all fit", {
    spans: Array.from({ length: 1000 }, (_, n) => span(n, { op: "o".repeat(300), description: `${n} ${"w".repeat(300)}`, status: "s".repeat(100) })),
  }),
};

type Row = { name: string; op: string; method: string; span_count: number; bytes: number; payload: { spans: StoredSpan[]; errors?: unknown[]; extra?: unknown; measurements?: unknown } };

describe("hostile transactions", () => {
  const tenant = { current: null as Awaited<ReturnType<typeof createOrgWithProject>> | null };
  const rows = new Map<string, Row>();

  beforeAll(async () => {
    const t = await createOrgWithProject();
    tenant.current = t;
    for (const [name, payload] of Object.entries(cases)) {
      const body = envelope({ event_id: payload.event_id }, [{ type: "transaction", payload: JSON.stringify(payload) }]);
      expect(body.length, name).toBeLessThan(1024 * 1024 + 200);
      const res = await send(`${ingest.base}/api/${t.project.id}/envelope/?sentry_key=${t.key.publicKey}`, { body });
      expect(res.status, `${name}: ${res.body}`).toBe(200);
    }
    await drainAll(t.project.id);
    const stored = await sqlRows<Row & { event_id: string }>`
      select event_id, name, op, method, span_count, octet_length(payload::text) as bytes, payload
      from transactions where project_id = ${t.project.id}`;
    for (const [name, payload] of Object.entries(cases)) {
      const row = stored.find((r) => r.event_id === payload.event_id);
      if (row) rows.set(name, row);
    }
  }, 60_000);

  it("refuses transactions without a valid start and end, counted invalid and kept as dead letters", async () => {
    const refused = ["noStart", "endsBeforeStart", "farTimestamps", "tooLong"];
    expect([...rows.keys()].filter((name) => refused.includes(name))).toEqual([]);
    const letters = await sqlRows<{ event_id: string; item_type: string; error: string }>`
      select event_id, item_type, error from dead_letters where project_id = ${tenant.current!.project.id} order by id`;
    expect(letters.map((l) => l.event_id).sort()).toEqual(refused.map((name) => cases[name as keyof typeof cases].event_id).sort());
    for (const letter of letters) expect(letter.item_type).toBe("transaction");
    const [outcome] = await sqlRows<{ quantity: string }>`
      select quantity::text from outcome_counts
      where project_id = ${tenant.current!.project.id} and category = 'transaction' and outcome = 'invalid' and reason = 'invalid_transaction'`;
    expect(outcome?.quantity).toBe("4");
  });

  it("stores every other one, ordinary ones as sent", () => {
    expect([...rows.keys()].sort()).toEqual(
      ["ordinary", "overLimit", "wrongTypes", "badSpans", "deep", "bigData", "bigExtra", "longDescriptions", "tooManyToFit"].sort(),
    );
    expect(rows.get("ordinary")!.payload.spans).toHaveLength(30);
    for (const row of rows.values()) expect(row.bytes).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);
  });

  it("keeps the first 1,000 spans and counts the rest", async () => {
    const row = rows.get("overLimit")!;
    expect(row.span_count).toBe(1050);
    expect(row.payload.spans.map((s) => s.span_id)).toEqual(Array.from({ length: 1000 }, (_, n) => hex16(n + 1)));
    expect(await spanOutcomes()).toMatchObject({ too_many_spans: "50" });
  });

  it("reads wrong types as absent, and drops spans that fail validation, counted", async () => {
    expect(rows.get("wrongTypes")).toMatchObject({ name: "<unlabeled transaction>", op: "", method: "", span_count: 0 });
    expect(rows.get("wrongTypes")!.payload.measurements).toEqual({ fcp: { value: 120.5, unit: "millisecond" } });
    const bad = rows.get("badSpans")!;
    expect(bad.span_count).toBe(8);
    expect(bad.payload.spans).toHaveLength(1);
    const [kept] = bad.payload.spans;
    expect(kept).toMatchObject({ span_id: hex16(6), tags: { n: "5", ok: "yes" } });
    expect(kept!.data).toBeUndefined();
    expect(kept!.status).toBeUndefined();
    expect(kept!.op).toHaveLength(200);
    expect(await spanOutcomes()).toMatchObject({ invalid_span: "7" });
  });

  it("cuts deep span data at its depth bound", () => {
    const [deep] = rows.get("deep")!.payload.spans;
    let depth = 0;
    for (let value: unknown = deep!.data; typeof value === "object" && value !== null; depth++)
      value = Object.values(value as Record<string, unknown>)[0];
    expect(depth).toBe(5);
  });

  it("fits a 1 MiB document under its bound: span data first, then context, then descriptions, then the last spans (counted)", async () => {
    const data = rows.get("bigData")!;
    expect(data.payload.spans).toHaveLength(800);
    // only as many spans' data as it takes, the largest first
    const withData = data.payload.spans.filter((s) => s.data !== undefined).length;
    expect(withData).toBeGreaterThan(0);
    expect(withData).toBeLessThan(800);
    expect(data.payload.errors).toContainEqual({ type: "too_large", removed: ["spans.data"] });
    const extra = rows.get("bigExtra")!;
    expect(extra.payload.extra).toBeUndefined();
    expect(extra.payload.spans).toHaveLength(1);
    const long = rows.get("longDescriptions")!;
    expect(long.payload.spans).toHaveLength(450);
    expect(Math.max(...long.payload.spans.map((s) => s.description!.length))).toBe(200);
    const fit = rows.get("tooManyToFit")!;
    const kept = fit.payload.spans.length;
    expect(kept).toBeGreaterThan(100);
    expect(kept).toBeLessThan(1000);
    expect(fit.payload.spans.map((s) => s.span_id)).toEqual(Array.from({ length: kept }, (_, n) => hex16(n + 1)));
    expect(fit.payload.errors).toContainEqual({ type: "too_large", name: "spans", dropped: 1000 - kept });
    expect(await spanOutcomes()).toMatchObject({ too_large: String(1000 - kept) });
  });

  async function spanOutcomes(): Promise<Record<string, string>> {
    const rows = await sqlRows<{ reason: string; quantity: string }>`
      select reason, quantity::text from outcome_counts
      where project_id = ${tenant.current!.project.id} and category = 'span' and outcome = 'invalid'`;
    return Object.fromEntries(rows.map((r) => [r.reason, r.quantity]));
  }
});
