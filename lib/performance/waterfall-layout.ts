import type { StoredSpan, TraceError, TraceTransaction } from "./types";

// Where the waterfall and the trace view draw their rows: a tree flattened depth first, each
// row with its offset and width as shares of one time axis. Pure and tolerant: spans come from
// SDKs (hostile input), so a span whose parent is missing (trimmed by the span cap, or never
// sent) hangs under the transaction marked as such, cycles and duplicate ids cannot loop, and
// timestamps that are not numbers, or end before they start, draw as zero-width bars.

/** A bar on the axis: where it starts and how wide it is, both 0..1 of the axis. */
export type Bar = { offsetMs: number; durationMs: number; left: number; width: number };

export type SpanRow = Bar & {
  span: StoredSpan;
  /** 1 for the transaction's direct children (the transaction itself is depth 0) */
  depth: number;
  /** its parent_span_id names no span of this transaction */
  orphan: boolean;
};

export type Waterfall = { totalMs: number; root: Bar; rows: SpanRow[] };

type Interval = { start: number; end: number };

const seconds = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

/** A span's start and end in epoch seconds; the end never precedes the start. */
function intervalOf(start: unknown, end: unknown, fallback: number): Interval {
  const from = seconds(start) ?? seconds(end) ?? fallback;
  const to = seconds(end) ?? from;
  return { start: from, end: Math.max(from, to) };
}

/** One time axis over every interval (epoch seconds), at least 1 µs long so shares stay finite. */
function axisOf(intervals: Interval[]): Interval {
  const start = Math.min(...intervals.map((i) => i.start));
  const end = Math.max(...intervals.map((i) => i.end));
  return { start, end: Math.max(end, start + 1e-6) };
}

function barOn(axis: Interval, interval: Interval): Bar {
  const total = axis.end - axis.start;
  return {
    offsetMs: (interval.start - axis.start) * 1000,
    durationMs: (interval.end - interval.start) * 1000,
    left: (interval.start - axis.start) / total,
    width: (interval.end - interval.start) / total,
  };
}

/**
 * Depth-first order of items under a root id, children by start time. Items whose parent is
 * not among the items are attached to the root afterwards, marked orphan, then any still
 * unreached (caught in a parent cycle) the same way.
 */
function depthFirst<T>(
  items: T[],
  rootId: string,
  idOf: (item: T) => string,
  parentOf: (item: T) => string | null,
  startOf: (item: T) => number,
): { item: T; depth: number; orphan: boolean }[] {
  const byStart = (a: number, b: number) => startOf(items[a]!) - startOf(items[b]!);
  const ids = new Set(items.map(idOf));
  const children = new Map<string, number[]>();
  items.forEach((item, index) => {
    const parent = parentOf(item) ?? rootId;
    const list = children.get(parent);
    if (list) list.push(index);
    else children.set(parent, [index]);
  });
  for (const list of children.values()) list.sort(byStart);

  const visited = new Uint8Array(items.length);
  const out: { item: T; depth: number; orphan: boolean }[] = [];
  const walk = (start: number, orphan: boolean) => {
    // An explicit stack: a hostile chain of 1,000 nested spans must not exhaust the call stack.
    const stack = [{ index: start, depth: 1 }];
    while (stack.length > 0) {
      const top = stack.pop()!;
      if (visited[top.index]) continue;
      visited[top.index] = 1;
      const item = items[top.index]!;
      out.push({ item, depth: top.depth, orphan: orphan && top.index === start });
      const kids = children.get(idOf(item)) ?? [];
      for (let k = kids.length - 1; k >= 0; k--) if (!visited[kids[k]!]) stack.push({ index: kids[k]!, depth: top.depth + 1 });
    }
  };
  for (const index of children.get(rootId) ?? []) walk(index, false);
  const missingParent = items
    .map((_, index) => index)
    .filter((index) => !visited[index] && !ids.has(parentOf(items[index]!) ?? rootId))
    .sort(byStart);
  for (const index of missingParent) walk(index, true);
  const inCycles = items.map((_, index) => index).filter((index) => !visited[index]).sort(byStart);
  for (const index of inCycles) walk(index, true);
  return out;
}

/**
 * A transaction's spans as waterfall rows. `root` is the transaction itself: its span id (the
 * trace context's span_id) and its start and end (epoch seconds).
 */
export function waterfallLayout(root: { spanId: string; startTimestamp: number; timestamp: number }, spans: StoredSpan[]): Waterfall {
  const rootInterval = intervalOf(root.startTimestamp, root.timestamp, 0);
  const intervals = new Map(spans.map((s) => [s, intervalOf(s.start_timestamp, s.timestamp, rootInterval.start)]));
  const axis = axisOf([rootInterval, ...intervals.values()]);
  const ordered = depthFirst(
    spans,
    root.spanId,
    (s) => s.span_id,
    (s) => s.parent_span_id || null,
    (s) => intervals.get(s)!.start,
  );
  return {
    totalMs: (axis.end - axis.start) * 1000,
    root: barOn(axis, rootInterval),
    rows: ordered.map(({ item, depth, orphan }) => ({ ...barOn(axis, intervals.get(item)!), span: item, depth, orphan })),
  };
}

export type TraceRow = Bar & {
  transaction: TraceTransaction;
  /** 0 for the trace's roots */
  depth: number;
  /** the trace's errors that happened in this transaction (its own span or one of its spans) */
  errors: TraceError[];
};

/** A trace's transactions (a tree through `children`) as rows on one time axis, with their errors. */
export function traceLayout(trace: { transactions: TraceTransaction[]; errors: TraceError[] }): { totalMs: number; rows: TraceRow[] } {
  const flat: { transaction: TraceTransaction; depth: number }[] = [];
  const seen = new Set<TraceTransaction>();
  const stack = [...trace.transactions].reverse().map((transaction) => ({ transaction, depth: 0 }));
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (seen.has(top.transaction)) continue;
    seen.add(top.transaction);
    flat.push(top);
    for (let k = top.transaction.children.length - 1; k >= 0; k--) stack.push({ transaction: top.transaction.children[k]!, depth: top.depth + 1 });
  }
  if (flat.length === 0) return { totalMs: 0, rows: [] };

  const intervals = flat.map(({ transaction: t }) => intervalOf(t.startTimestamp, t.timestamp, 0));
  const axis = axisOf(intervals);
  // An error's span id -> the transaction whose own span or one of whose spans it is.
  const owner = new Map<string, TraceTransaction>();
  for (const { transaction } of flat) {
    for (const span of transaction.spans) if (!owner.has(span.span_id)) owner.set(span.span_id, transaction);
    owner.set(transaction.spanId, transaction);
  }
  const errorsOf = new Map<TraceTransaction, TraceError[]>();
  for (const error of trace.errors) {
    const transaction = error.spanId ? owner.get(error.spanId) : undefined;
    if (transaction) errorsOf.set(transaction, [...(errorsOf.get(transaction) ?? []), error]);
  }
  return {
    totalMs: (axis.end - axis.start) * 1000,
    rows: flat.map(({ transaction, depth }, i) => ({ ...barOn(axis, intervals[i]!), transaction, depth, errors: errorsOf.get(transaction) ?? [] })),
  };
}
