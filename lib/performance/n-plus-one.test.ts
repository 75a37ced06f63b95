import { describe, expect, it } from "vitest";
import { MIN_TOTAL_MS, detectNPlusOne, queryShape } from "./n-plus-one";
import type { StoredSpan } from "./types";

const ROOT = "a".repeat(16);
const LOADER = "b".repeat(16);
const T0 = 1_760_000_000;
let nextId = 0;
const id = () => (++nextId).toString(16).padStart(16, "0");

/** A span from `startMs` to `startMs + ms`, milliseconds after T0. */
function span(description: string, startMs: number, ms: number, fields: Partial<StoredSpan> = {}): StoredSpan {
  return {
    span_id: id(),
    parent_span_id: LOADER,
    op: "db",
    description,
    start_timestamp: T0 + startMs / 1000,
    timestamp: T0 + (startMs + ms) / 1000,
    ...fields,
  };
}

/** `count` queries one after another, `ms` each with `gapMs` between them. */
function loop(count: number, query: (i: number) => string, ms = 12, gapMs = 0.5, from = 0, fields: Partial<StoredSpan> = {}) {
  return Array.from({ length: count }, (_, i) => span(query(i), from + i * (ms + gapMs), ms, fields));
}

const BY_ID = (i: number) => `SELECT * FROM products WHERE id = ${i + 1}`;
const source = () => [span("SELECT id FROM products ORDER BY rank LIMIT 6", 0, 4, { parent_span_id: ROOT })];

describe("detectNPlusOne", () => {
  it("finds 5 repeats of one query under one parent, run one after another", () => {
    const spans = [...source(), span("load products", 5, 80, { span_id: LOADER, parent_span_id: ROOT, op: "function" })];
    const repeats = loop(5, () => "SELECT * FROM products WHERE id = $1", 12, 0.5, 6);
    spans.push(...repeats);
    const [found, ...more] = detectNPlusOne(spans);
    expect(more).toEqual([]);
    expect(found).toEqual({
      description: "SELECT * FROM products WHERE id = $1",
      shape: "SELECT * FROM products WHERE id = $<int>",
      op: "db",
      parentSpanId: LOADER,
      spanIds: repeats.map((s) => s.span_id),
      durationMs: expect.closeTo(60, 3),
    });
  });

  it("finds none in 4 repeats, however slow", () => {
    expect(detectNPlusOne(loop(4, BY_ID, 200))).toEqual([]);
  });

  it("finds none in repeats sent together (one overlapping batch, or a pool of two connections)", () => {
    const batch = Array.from({ length: 8 }, (_, i) => span(BY_ID(i), 0.01 * i, 30 + i));
    expect(detectNPlusOne(batch)).toEqual([]);
    // a pool of two: pairs overlap, so no five run one after another
    const pool = Array.from({ length: 10 }, (_, i) => span(BY_ID(i), Math.floor(i / 2) * 20, 19));
    expect(detectNPlusOne(pool)).toEqual([]);
  });

  it("takes queries that differ only in their values as one, and one issue per query shape", () => {
    const spans = loop(6, (i) => `SELECT * FROM users WHERE id = ${i * 37} AND name = 'user ''${i}''' AND key = '${crypto.randomUUID()}'`);
    const found = detectNPlusOne(spans);
    expect(found).toHaveLength(1);
    expect(found[0]!.shape).toBe("SELECT * FROM users WHERE id = <int> AND name = '?' AND key = '?'");
    expect(found[0]!.description).toBe(spans[0]!.description);
    expect(found[0]!.spanIds).toHaveLength(6);
  });

  it("finds none in different queries, nor in one query repeated under different parents", () => {
    const tables = ["users", "orders", "carts", "prices", "stock", "tax"];
    expect(detectNPlusOne(loop(6, (i) => `SELECT * FROM ${tables[i]} WHERE id = 1`))).toEqual([]);
    const cousins = Array.from({ length: 6 }, (_, i) => span(BY_ID(i), i * 13, 12, { parent_span_id: id() }));
    expect(detectNPlusOne(cousins)).toEqual([]);
  });

  it("finds two loops interleaved in one (two queries per item) as two issues", () => {
    const spans = Array.from({ length: 12 }, (_, i) =>
      span(i % 2 ? `SELECT price FROM prices WHERE product_id = ${i}` : BY_ID(i), i * 13, 12),
    );
    expect(detectNPlusOne(spans).map((f) => [f.shape, f.spanIds.length])).toEqual([
      ["SELECT * FROM products WHERE id = <int>", 6],
      ["SELECT price FROM prices WHERE product_id = <int>", 6],
    ]);
  });

  it("needs the repeats to take MIN_TOTAL_MS together", () => {
    expect(detectNPlusOne(loop(6, BY_ID, 3))).toEqual([]);
    expect(detectNPlusOne(loop(5, BY_ID, MIN_TOTAL_MS / 5 - 0.1))).toEqual([]);
    expect(detectNPlusOne(loop(5, BY_ID, MIN_TOTAL_MS / 5 + 0.1))).toHaveLength(1);
    expect(detectNPlusOne(loop(60, BY_ID, 1))).toHaveLength(1);
  });

  it("takes the longest run of a query, split where two of its spans overlap", () => {
    const first = loop(5, BY_ID, 12, 0.5, 0);
    const second = loop(7, BY_ID, 12, 0.5, 60);
    const found = detectNPlusOne([...second, ...first]);
    expect(found).toHaveLength(1);
    expect(found[0]!.spanIds).toEqual(second.map((s) => s.span_id));
    // end-to-start on the microsecond is still one after another
    const touching = Array.from({ length: 5 }, (_, i) => span(BY_ID(i), i * 12, 12));
    expect(detectNPlusOne(touching)).toHaveLength(1);
  });

  it("leaves out spans that are no queries: other ops, Redis, connections, no description, no parent", () => {
    expect(detectNPlusOne(loop(6, () => "GET https://api.example.com/items/1", 20, 0.5, 0, { op: "http.client" }))).toEqual([]);
    expect(detectNPlusOne(loop(6, () => "GET session:1", 20, 0.5, 0, { op: "db.redis" }))).toEqual([]);
    expect(detectNPlusOne(loop(6, () => "pg-pool.connect", 20))).toEqual([]);
    expect(detectNPlusOne(loop(6, () => "", 20))).toEqual([]);
    expect(detectNPlusOne(loop(6, BY_ID, 20, 0.5, 0, { parent_span_id: undefined }))).toEqual([]);
    expect(detectNPlusOne(loop(6, BY_ID, 20, 0.5, 0, { op: "db.sql.query" }))).toHaveLength(1);
  });
});

describe("queryShape", () => {
  it.each([
    ["SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN (...)"],
    ["SELECT * FROM t WHERE id in ($1,$2)", "SELECT * FROM t WHERE id IN (...)"],
    ["SELECT * FROM t WHERE name IN ('a, b', 'c')", "SELECT * FROM t WHERE name IN (...)"],
    ["SELECT * FROM t WHERE id IN (?)", "SELECT * FROM t WHERE id IN (...)"],
    ["SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = 1)", "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = <int>)"],
    ["SELECT * FROM t WHERE id IN (1, (2))", "SELECT * FROM t WHERE id IN (<int>, (<int>))"],
    ["SELECT  *\n  FROM t\tWHERE k = 'x'", "SELECT * FROM t WHERE k = '?'"],
    ["SELECT * FROM t WHERE id = 'cut off", "SELECT * FROM t WHERE id = '?'"],
    ["SELECT * FROM t_2 WHERE u = 550e8400-e29b-41d4-a716-446655440000", "SELECT * FROM t_2 WHERE u = <uuid>"],
  ])("%s", (query, shape) => {
    expect(queryShape(query)).toBe(shape);
  });

  it("stays linear on hostile text (lists that never close, nested lists, long strings)", () => {
    const hostile = [
      `SELECT 1 WHERE a IN (${"1,".repeat(100_000)}`,
      `SELECT 1 WHERE ${"a IN (".repeat(50_000)}`,
      `SELECT 1 WHERE ${"a IN (1) OR ".repeat(20_000)}`,
      `SELECT '${"x''".repeat(100_000)}`,
    ];
    for (const text of hostile) {
      const t0 = performance.now();
      queryShape(text);
      expect(performance.now() - t0).toBeLessThan(1000);
    }
  });
});
