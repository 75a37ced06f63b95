import { describe, expect, it } from "vitest";
import type { StoredSpan, TraceError, TraceTransaction } from "./types";
import { traceLayout, waterfallLayout } from "./waterfall-layout";

const T0 = 1_760_000_000;
const span = (span_id: string, parent_span_id: string | undefined, start: number, end: number, op = "db"): StoredSpan => ({
  span_id,
  parent_span_id,
  op,
  description: `${op} ${span_id}`,
  start_timestamp: T0 + start,
  timestamp: T0 + end,
});
const root = { spanId: "root", startTimestamp: T0, timestamp: T0 + 1 };
const shape = (rows: { span: StoredSpan; depth: number; orphan: boolean }[]) => rows.map((r) => [r.span.span_id, r.depth, r.orphan]);

describe("waterfallLayout", () => {
  it("nests spans by parent_span_id, children by start time, with offsets and widths on the transaction's axis", () => {
    const spans = [span("c", "a", 0.3, 0.4), span("b", "root", 0.5, 1), span("a", "root", 0.1, 0.5), span("d", "a", 0.2, 0.25)];
    const waterfall = waterfallLayout(root, spans);
    expect(shape(waterfall.rows)).toEqual([
      ["a", 1, false],
      ["d", 2, false],
      ["c", 2, false],
      ["b", 1, false],
    ]);
    expect(waterfall.totalMs).toBeCloseTo(1000, 6);
    expect(waterfall.root).toMatchObject({ left: 0, width: 1 });
    const a = waterfall.rows[0]!;
    expect(a.offsetMs).toBeCloseTo(100, 3);
    expect(a.durationMs).toBeCloseTo(400, 3);
    expect(a.left).toBeCloseTo(0.1, 6);
    expect(a.width).toBeCloseTo(0.4, 6);
  });

  it("widens the axis to spans that outlive the transaction, so every bar stays within 0..1", () => {
    const waterfall = waterfallLayout(root, [span("late", "root", 0.5, 2)]);
    expect(waterfall.totalMs).toBeCloseTo(2000, 3);
    expect(waterfall.root.width).toBeCloseTo(0.5, 6);
    const late = waterfall.rows[0]!;
    expect(late.left + late.width).toBeCloseTo(1, 6);
  });

  it("hangs spans with a missing parent under the transaction, marked, their own children below them", () => {
    const spans = [span("x", "trimmed", 0.6, 0.7), span("y", "x", 0.62, 0.65), span("a", "root", 0.1, 0.2), span("n", undefined, 0.05, 0.1)];
    expect(shape(waterfallLayout(root, spans).rows)).toEqual([
      ["n", 1, false],
      ["a", 1, false],
      ["x", 1, true],
      ["y", 2, false],
    ]);
  });

  it("survives hostile spans: parent cycles, duplicate ids, a 5,000-deep chain, timestamps that are not numbers", () => {
    const cycle = [span("p", "q", 0.1, 0.2), span("q", "p", 0.15, 0.3)];
    const duplicates = [span("d", "root", 0.1, 0.2), span("d", "root", 0.3, 0.4)];
    const broken = { span_id: "z", parent_span_id: "root", start_timestamp: "soon", timestamp: T0 - 5 } as unknown as StoredSpan;
    const chain = Array.from({ length: 5_000 }, (_, i) => span(`c${i}`, i === 0 ? "root" : `c${i - 1}`, 0.001 * i, 1));
    const waterfall = waterfallLayout(root, [...cycle, ...duplicates, broken, ...chain]);
    expect(waterfall.rows).toHaveLength(2 + 2 + 1 + 5_000);
    expect(shape(waterfall.rows.filter((r) => r.span.span_id === "p" || r.span.span_id === "q"))).toEqual([
      ["p", 1, true],
      ["q", 2, false],
    ]);
    expect(waterfall.rows.find((r) => r.span.span_id === "c4999")!.depth).toBe(5_000);
    // A start that is not a number falls back to its end; the axis grows to hold it.
    const z = waterfall.rows.find((r) => r.span.span_id === "z")!;
    expect(z.durationMs).toBe(0);
    for (const row of waterfall.rows) {
      expect(row.left).toBeGreaterThanOrEqual(0);
      expect(row.left + row.width).toBeLessThanOrEqual(1 + 1e-9);
    }
  });

  it("draws a transaction without spans, or of zero duration, without dividing by zero", () => {
    const waterfall = waterfallLayout({ spanId: "r", startTimestamp: T0, timestamp: T0 }, []);
    expect(waterfall.rows).toEqual([]);
    expect(Number.isFinite(waterfall.root.width)).toBe(true);
  });
});

const transaction = (eventID: string, project: string, start: number, end: number, spanId: string, children: TraceTransaction[] = [], spans: StoredSpan[] = []): TraceTransaction => ({
  eventID,
  project: { id: project === "web" ? "1" : "2", slug: project },
  transaction: `/${eventID}`,
  op: project === "web" ? "pageload" : "http.server",
  startTimestamp: T0 + start,
  timestamp: T0 + end,
  duration: (end - start) * 1000,
  status: "ok",
  spanId,
  parentSpanId: null,
  spans,
  children,
});
const error = (eventID: string, spanId: string | null): TraceError => ({
  eventID,
  issueId: "7",
  title: "TypeError",
  project: { id: "2", slug: "api" },
  timestamp: new Date(T0 * 1000).toISOString(),
  spanId,
});

describe("traceLayout", () => {
  it("flattens the transactions across projects on one axis, and puts each error on the transaction its span belongs to", () => {
    const backend = transaction("b", "api", 0.2, 0.8, "bs", [], [span("db1", "bs", 0.3, 0.4)]);
    const other = transaction("c", "api", 1.5, 2, "cs");
    const pageload = transaction("a", "web", 0, 1, "as", [backend], [span("fetch", "as", 0.15, 0.85, "http.client")]);
    const layout = traceLayout({ transactions: [pageload, other], errors: [error("e1", "db1"), error("e2", "bs"), error("e3", "nowhere"), error("e4", null)] });
    expect(layout.rows.map((r) => [r.transaction.eventID, r.depth])).toEqual([
      ["a", 0],
      ["b", 1],
      ["c", 0],
    ]);
    expect(layout.totalMs).toBeCloseTo(2000, 3);
    expect(layout.rows[1]!.left).toBeCloseTo(0.1, 6);
    expect(layout.rows[1]!.width).toBeCloseTo(0.3, 6);
    expect(layout.rows[1]!.errors.map((e) => e.eventID)).toEqual(["e1", "e2"]);
    // An error in no stored span of the trace, or without a span, is on no row.
    expect(layout.rows.flatMap((r) => r.errors).map((e) => e.eventID)).toEqual(["e1", "e2"]);
  });

  it("has no rows when no transaction of the trace is stored", () => {
    expect(traceLayout({ transactions: [], errors: [error("e", "s")] })).toEqual({ totalMs: 0, rows: [] });
  });
});
