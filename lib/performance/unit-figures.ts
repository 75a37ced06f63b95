import type { SketchEntries } from "./sketch";
import { MAX_PAIR_COUNT, PAIR_BYTES } from "./sketch-bytes";
import type { StatsUnit } from "./summary-period";
import { readPackedRows } from "./summary-rows";

// Every group's figures of one stored bucket (or of many, combined), in compact arrays: what
// summary-cache.ts keeps in the process and the list merges per group. The merging itself is
// the list's innermost loop (a 14-day list sorted by p95 adds ~2.9 M sketch buckets at the
// bench's scale), so it goes through one dense accumulator reused for group after group.

export type UnitFigures = {
  /** transaction_groups ids (bigserial, well within a double's exact integers) */
  groupIds: Float64Array;
  count: Float64Array;
  failures: Float64Array;
  durationSum: Float64Array;
  /**
   * group i's sketch pairs are keys/counts[offsets[i] .. offsets[i + 1]); counts in a Uint32
   * whenever every one fits (they do but for a sketch of absurd counts), as they are most of
   * what is kept
   */
  offsets: Uint32Array;
  keys: Uint16Array;
  counts: Uint32Array | Float64Array;
};

export type ProjectUnit = {
  projectId: number;
  unit: StatsUnit;
  figures: UnitFigures;
};

/**
 * Many units' figures merged per group into one, for a list that reads the same sealed units
 * again and again: `series` holds group i's counts per period bucket (the units' `index`) at
 * [i * buckets, (i + 1) * buckets).
 */
export type CombinedFigures = { figures: UnitFigures; series: Float64Array };

/**
 * One unit's rows (any environments and releases, packed in group id order by
 * summary-rows.ts's unsafePackedUnitRows) merged per group into compact arrays.
 */
export function compactPackedRows(packed: Buffer): UnitFigures {
  const groupIds: number[] = [];
  const count: number[] = [];
  const failures: number[] = [];
  const durationSum: number[] = [];
  const offsets: number[] = [0];
  // a group's merged buckets are at most its stored pairs
  const keys = new Uint16Array(Math.floor(packed.length / PAIR_BYTES));
  const counts = new Float64Array(keys.length);
  let length = 0;
  const close = () => {
    // Kept pairs are only ever added back into an accumulator (mergeUnitSketches), so their
    // order does not matter: unsorted, a cold 14-day list skips ~14,000 sorts.
    length = accumulator.drainInto(keys, counts, length, false);
    offsets.push(length);
  };
  let last = -1;
  readPackedRows(packed, (groupId, rowCount, rowFailures, rowDurationSum, sketchStart, sketchEnd) => {
    if (groupId !== last) {
      if (last !== -1) close();
      last = groupId;
      groupIds.push(groupId);
      count.push(0);
      failures.push(0);
      durationSum.push(0);
    }
    const i = groupIds.length - 1;
    count[i]! += rowCount;
    failures[i]! += rowFailures;
    durationSum[i]! += rowDurationSum;
    accumulator.addPacked(packed, sketchStart, sketchEnd);
  });
  if (last !== -1) close();
  return {
    groupIds: Float64Array.from(groupIds),
    count: Float64Array.from(count),
    failures: Float64Array.from(failures),
    durationSum: Float64Array.from(durationSum),
    offsets: Uint32Array.from(offsets),
    keys: keys.slice(0, length),
    counts: narrowCounts(counts, length),
  };
}

/** Every unit's figures merged per group (groups in id order), with each group's counts per bucket. */
export function combineUnits(units: ProjectUnit[], buckets: number): CombinedFigures {
  // group id -> its (unit, position) pairs, flat
  const parts = new Map<number, number[]>();
  units.forEach(({ figures }, u) => {
    for (let i = 0; i < figures.groupIds.length; i++) {
      const list = parts.get(figures.groupIds[i]!);
      if (list) list.push(u, i);
      else parts.set(figures.groupIds[i]!, [u, i]);
    }
  });
  const groupIds = Float64Array.from(parts.keys()).sort();
  const n = groupIds.length;
  const count = new Float64Array(n);
  const failures = new Float64Array(n);
  const durationSum = new Float64Array(n);
  const offsets = new Uint32Array(n + 1);
  const series = new Float64Array(n * buckets);
  let keys = new Uint16Array(65_536);
  let counts = new Float64Array(keys.length);
  let length = 0;
  for (let g = 0; g < n; g++) {
    const list = parts.get(groupIds[g]!)!;
    for (let p = 0; p < list.length; p += 2) {
      const { unit, figures } = units[list[p]!]!;
      const i = list[p + 1]!;
      count[g]! += figures.count[i]!;
      failures[g]! += figures.failures[i]!;
      durationSum[g]! += figures.durationSum[i]!;
      series[g * buckets + unit.index]! += figures.count[i]!;
      accumulator.addKept(figures, i);
    }
    // a group's merged pairs are at most the 2,048 bucket indexes
    if (length + ACCUMULATOR_SIZE > keys.length) {
      const grownKeys = new Uint16Array(keys.length * 2);
      grownKeys.set(keys.subarray(0, length));
      const grownCounts = new Float64Array(keys.length * 2);
      grownCounts.set(counts.subarray(0, length));
      keys = grownKeys;
      counts = grownCounts;
    }
    length = accumulator.drainInto(keys, counts, length, false);
    offsets[g + 1] = length;
  }
  return {
    figures: { groupIds, count, failures, durationSum, offsets, keys: keys.slice(0, length), counts: narrowCounts(counts, length) },
    series,
  };
}

/** counts are sums of integers: in a Uint32 unless one passed 2^32 - 1 */
function narrowCounts(counts: Float64Array, length: number): Uint32Array | Float64Array {
  let max = 0;
  for (let i = 0; i < length; i++) if (counts[i]! > max) max = counts[i]!;
  if (max > 0xffff_ffff) return counts.slice(0, length);
  const narrow = new Uint32Array(length);
  narrow.set(counts.subarray(0, length));
  return narrow;
}

/**
 * One group's sketch over several units, merged: group `indexes[i]` of `figures[i]`, and the
 * stored sketches `stored` of units read without being kept.
 */
export function mergeUnitSketches(figures: UnitFigures[], indexes: number[], stored: Uint8Array[] = []): SketchEntries {
  for (let i = 0; i < figures.length; i++) accumulator.addKept(figures[i]!, indexes[i]!);
  for (const bytes of stored) accumulator.addPacked(bytes);
  return accumulator.drain();
}

/**
 * Bucket indexes reach about 1,300 (30 days); a stored one is at most 2,047 (11 bits), and so
 * is every kept one (they come from stored ones).
 */
const ACCUMULATOR_SIZE = 2048;

/**
 * Counts per sketch bucket in a dense array, reused for one group after another: adding is an
 * array write rather than an object property's, the list's innermost loop.
 */
class SketchAccumulator {
  private readonly dense = new Float64Array(ACCUMULATOR_SIZE);
  private readonly seen = new Uint8Array(ACCUMULATOR_SIZE);
  private readonly touched = new Uint16Array(ACCUMULATOR_SIZE);
  private size = 0;

  /** Adds a stored sketch (sketch-bytes.ts), or its bytes from start to end. */
  addPacked(bytes: Uint8Array, start = 0, end = bytes.length): void {
    const stop = end - ((end - start) % PAIR_BYTES);
    for (let at = start; at < stop; at += PAIR_BYTES) {
      const word = (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
      const key = word >>> 13;
      if (this.seen[key] === 0) {
        this.seen[key] = 1;
        this.touched[this.size++] = key;
      }
      this.dense[key]! += word & MAX_PAIR_COUNT;
    }
  }

  /** Adds group `index`'s pairs of kept figures. */
  addKept({ offsets, keys, counts }: UnitFigures, index: number): void {
    for (let j = offsets[index]!; j < offsets[index + 1]!; j++) this.add(keys[j]!, counts[j]!);
  }

  /** Adds `count` to bucket `key` (0 to 2,047). */
  add(key: number, count: number): void {
    if (this.seen[key] === 0) {
      this.seen[key] = 1;
      this.touched[this.size++] = key;
    }
    this.dense[key]! += count;
  }

  /**
   * Writes every bucket added since the last drain into keys/counts from `at`, in ascending
   * index order unless `ordered` is false, and returns where they end; then it starts empty
   * again. No arrays of its own: a 14-day list drains ~14,000 times.
   */
  drainInto(keys: Uint16Array | Float64Array, counts: Float64Array, at: number, ordered = true): number {
    const touched = ordered ? this.touched.subarray(0, this.size).sort() : this.touched.subarray(0, this.size);
    for (let i = 0; i < touched.length; i++) {
      const key = touched[i]!;
      const count = this.dense[key]!;
      this.dense[key] = 0;
      this.seen[key] = 0;
      // a stored bucket of count 0 (never written by the merge) is no bucket
      if (count === 0) continue;
      keys[at] = key;
      counts[at++] = count;
    }
    this.size = 0;
    return at;
  }

  /** Every bucket added since the last drain, in ascending order; then it starts empty again. */
  drain(): SketchEntries {
    const indexes = new Float64Array(this.size);
    const counts = new Float64Array(this.size);
    const n = this.drainInto(indexes, counts, 0);
    let total = 0;
    for (let i = 0; i < n; i++) total += counts[i]!;
    return { indexes: indexes.subarray(0, n), counts: counts.subarray(0, n), total };
  }
}

const accumulator = new SketchAccumulator();
