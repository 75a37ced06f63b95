import { describe, expect, it } from "vitest";
import { traceTree } from "./trace-tree";
import type { TraceTransaction } from "./types";

const tx = (
  eventID: string,
  spanId: string,
  parentSpanId: string | null,
  spanIds: string[] = [],
): TraceTransaction => ({
  eventID,
  project: { id: "1", slug: "p" },
  transaction: eventID,
  op: "http.server",
  startTimestamp: 0,
  timestamp: 1,
  duration: 1000,
  status: "ok",
  spanId,
  parentSpanId,
  spans: spanIds.map((span_id) => ({ span_id, start_timestamp: 0, timestamp: 1 })),
  children: [],
});

/** The tree as nested [eventID, children] lists, for readable expectations. */
const shape = (nodes: TraceTransaction[]): unknown[] =>
  nodes.map((n) => (n.children.length ? [n.eventID, shape(n.children)] : n.eventID));
function count(nodes: TraceTransaction[]): number {
  const stack = [...nodes];
  let n = 0;
  for (let node = stack.pop(); node; node = stack.pop(), n++) stack.push(...node.children);
  return n;
}

describe("traceTree", () => {
  it("hangs a transaction under the one holding its parent span (a span or the root span)", () => {
    const tree = traceTree([
      tx("pageload", "a000000000000000", null, ["a000000000000001", "a000000000000002"]),
      tx("api-1", "b000000000000000", "a000000000000001", ["b000000000000001"]),
      tx("api-2", "c000000000000000", "a000000000000002"),
      tx("job", "d000000000000000", "b000000000000001"),
      tx("callback", "e000000000000000", "c000000000000000"),
    ]);
    expect(shape(tree)).toEqual([
      [
        "pageload",
        [
          ["api-1", ["job"]],
          ["api-2", ["callback"]],
        ],
      ],
    ]);
  });

  it("puts orphans (parent span not in the trace, or none) at the top level in start order", () => {
    const tree = traceTree([
      tx("first", "a000000000000000", "ffffffffffffffff"),
      tx("second", "b000000000000000", null),
      tx("third", "c000000000000000", "a000000000000000"),
    ]);
    expect(shape(tree)).toEqual([["first", ["third"]], "second"]);
  });

  it("survives forged ids: self-parents, cycles, a span id claiming another's root", () => {
    const tree = traceTree([
      tx("self", "a000000000000000", "a000000000000000"),
      tx("x", "b000000000000000", "c000000000000000"),
      tx("y", "c000000000000000", "b000000000000000"),
      // claims x's root span id among its spans: the root wins, so z stays y's... parent of nobody
      tx("z", "d000000000000000", "e000000000000000", ["b000000000000000"]),
    ]);
    expect(count(tree)).toBe(4);
    expect(shape(tree)).toEqual(["self", ["x", ["y"]], "z"]);
  });

  it("keeps a long chain whole without recursing past the stack, and the API's 1,000 serialize", () => {
    const link = (length: number) =>
      Array.from({ length }, (_, i) =>
        tx(
          `t${i}`,
          i.toString(16).padStart(16, "0"),
          i === 0 ? null : (i - 1).toString(16).padStart(16, "0"),
        ),
      );
    const tree = traceTree(link(20_000));
    expect(tree).toHaveLength(1);
    expect(count(tree)).toBe(20_000);
    expect(JSON.stringify(traceTree(link(1000))).length).toBeGreaterThan(1000 * 100);
  });
});
