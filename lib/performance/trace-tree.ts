import type { TraceTransaction } from "./types";

/**
 * A trace's transactions (in start order, `children` empty) as a tree: a transaction is a child
 * of the transaction holding the span its parentSpanId names (that transaction's root span or
 * one of its spans). Transactions whose parent is not among them are roots, in start order;
 * children keep start order too. Span ids come from the SDKs and may be forged or repeated:
 * a transaction's root span id wins, else the earliest transaction holding the span id owns it, no transaction is its own parent, and a
 * cycle is cut at its earliest transaction, which becomes a root, so every transaction appears
 * exactly once.
 */
export function traceTree(transactions: TraceTransaction[]): TraceTransaction[] {
  const owner = new Map<string, number>();
  const own = (spanId: string | undefined, index: number) => {
    if (spanId && !owner.has(spanId)) owner.set(spanId, index);
  };
  // Root span ids first: a forged span may not take over a real transaction's root.
  for (const [i, t] of transactions.entries()) own(t.spanId, i);
  for (const [i, t] of transactions.entries()) for (const span of t.spans) own(span.span_id, i);

  const parentOf = transactions.map((t, i) => {
    const parent = t.parentSpanId ? owner.get(t.parentSpanId) : undefined;
    return parent === undefined || parent === i ? -1 : parent;
  });
  const children = transactions.map(() => [] as number[]);
  parentOf.forEach((parent, i) => {
    if (parent >= 0) children[parent]!.push(i);
  });

  // Every transaction reachable from a root is placed; what is left hangs off a cycle, which is
  // cut at its earliest transaction.
  const isRoot = parentOf.map((parent) => parent < 0);
  const placed = new Array<boolean>(transactions.length).fill(false);
  const place = (root: number) => {
    const stack = [root];
    while (stack.length > 0) {
      const i = stack.pop()!;
      placed[i] = true;
      for (const child of children[i]!) if (!placed[child]) stack.push(child);
    }
  };
  isRoot.forEach((root, i) => {
    if (root) place(i);
  });
  for (let i = 0; i < transactions.length; i++) {
    if (placed[i]) continue;
    const path = new Set<number>();
    let j = i;
    while (!path.has(j)) {
      path.add(j);
      j = parentOf[j]!;
    }
    let earliest = j;
    for (let k = parentOf[j]!; k !== j; k = parentOf[k]!) earliest = Math.min(earliest, k);
    isRoot[earliest] = true;
    place(earliest);
  }

  // Built without recursion: a forged chain may be thousands deep.
  const nodes = transactions.map((t): TraceTransaction => ({ ...t, children: [] }));
  parentOf.forEach((parent, i) => {
    if (!isRoot[i]) nodes[parent]!.children.push(nodes[i]!);
  });
  return nodes.filter((_, i) => isRoot[i]);
}
