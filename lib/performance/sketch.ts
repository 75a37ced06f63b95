// Durations as a log-bucket histogram, DDSketch's mapping (Masson et al., VLDB 2019) with a
// relative accuracy of 1%: bucket i holds the durations in (MIN * GAMMA^(i-1), MIN * GAMMA^i],
// and a quantile is read as the bucket's midpoint in relative terms, within 1% of the true
// sample's value. Sketches of any hours, days, environments or releases merge exactly by adding
// counts, so the worker keeps one per group and hour (and day) and the lists merge them at read
// time instead of scanning transactions. Our own rather than a package's: it is stored as
// {index: count} JSON so Postgres merges it inside the stats upsert (transaction_sketch_merge
// in the performance migration, which also writes sketchIndex in SQL for its backfill).

/** The relative accuracy of every quantile read from a sketch. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
// Durations at or below 10 µs share bucket 0; the largest index (30 days) is about 1,300.
const MIN_MS = 0.01;
const MAX_MS = 30 * 86_400_000;

/** Bucket index -> number of durations in it. Keys are decimal integers (JSON object keys). */
export type Sketch = Record<string, number>;

export function sketchIndex(durationMs: number): number {
  const ms = Number.isFinite(durationMs) ? Math.min(Math.max(durationMs, MIN_MS), MAX_MS) : MIN_MS;
  return Math.max(0, Math.ceil(Math.log(ms / MIN_MS) / LOG_GAMMA));
}

/** The value a bucket stands for: within SKETCH_RELATIVE_ACCURACY of every duration in it. */
export function sketchValue(index: number): number {
  if (index <= 0) return MIN_MS;
  return (MIN_MS * 2 * GAMMA ** index) / (GAMMA + 1);
}

export function addToSketch(sketch: Sketch, durationMs: number, count = 1): void {
  const key = sketchIndex(durationMs);
  sketch[key] = (sketch[key] ?? 0) + count;
}

/** Adds `from` into `into` (counts of the same bucket add). */
export function mergeSketch(into: Sketch, from: Sketch): void {
  for (const key in from) into[key] = (into[key] ?? 0) + from[key]!;
}

/** A sketch's buckets in ascending order: what quantiles and Apdex walk. */
export type SketchEntries = { indexes: ArrayLike<number>; counts: ArrayLike<number>; total: number };

export function sortedEntries(sketch: Sketch): SketchEntries {
  const indexes = Object.keys(sketch)
    .map(Number)
    .sort((a, b) => a - b);
  const counts = indexes.map((i) => sketch[i]!);
  return { indexes, counts, total: counts.reduce((a, b) => a + b, 0) };
}

/**
 * The q-quantiles (0 <= q <= 1) of a sketch, in ms, by the nearest-rank method (the value of
 * the ceil(q * n)-th smallest duration, the first for q = 0); null for an empty sketch.
 */
export function sketchQuantiles(sketch: Sketch, qs: readonly number[]): (number | null)[] {
  return entriesQuantiles(sortedEntries(sketch), qs);
}

/** sketchQuantiles of buckets already in ascending order (a merge that sorts them itself). */
export function entriesQuantiles({ indexes, counts, total }: SketchEntries, qs: readonly number[]): (number | null)[] {
  if (total === 0) return qs.map(() => null);
  return qs.map((q) => {
    const rank = Math.max(1, Math.ceil(Math.min(Math.max(q, 0), 1) * total));
    let seen = 0;
    for (let i = 0; i < indexes.length; i++) {
      seen += counts[i]!;
      if (seen >= rank) return sketchValue(indexes[i]!);
    }
    return sketchValue(indexes[indexes.length - 1]!);
  });
}

/**
 * Apdex for a threshold T in ms: (satisfied + tolerating / 2) / total, satisfied at most T,
 * tolerating at most 4T. A bucket counts on the side of the boundary its value falls on, so
 * durations within 1% of T or 4T may count on the other side. Null for an empty sketch.
 */
export function sketchApdex(sketch: Sketch, thresholdMs: number): number | null {
  return entriesApdex(sortedEntries(sketch), thresholdMs);
}

/** sketchApdex of buckets already in ascending order. */
export function entriesApdex({ indexes, counts, total }: SketchEntries, thresholdMs: number): number | null {
  if (total === 0) return null;
  let satisfied = 0;
  let tolerating = 0;
  for (let i = 0; i < indexes.length; i++) {
    const value = sketchValue(indexes[i]!);
    if (value <= thresholdMs) satisfied += counts[i]!;
    else if (value <= 4 * thresholdMs) tolerating += counts[i]!;
  }
  return (satisfied + tolerating / 2) / total;
}

/** Transaction statuses that are not failures (Sentry's failure_rate: all but ok, cancelled, unknown). */
const NOT_FAILED = new Set(["", "ok", "cancelled", "unknown", "unknown_error"]);

export function isFailedStatus(status: string): boolean {
  return !NOT_FAILED.has(status);
}
