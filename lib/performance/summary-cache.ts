import type { SketchEntries } from "./sketch";
import { MAX_PAIR_COUNT, PAIR_BYTES } from "./sketch-bytes";
import type { StatsUnit } from "./summary-period";
import { readPackedRows, unsafePackedUnitRows } from "./summary-rows";

// Every group's figures of one project and one stored bucket (for an environment and release
// filter), merged across the rows the worker keeps per environment and release. Reading a
// period's sketches is most of a list's cost (14 days of daily rows hold 2.9 M buckets at the
// bench's scale, packed 3 bytes each; they were ~100 ns apiece as jsonb text), while a sealed
// bucket's rows no longer change: so sealed buckets' figures are kept here, in this process, in
// compact arrays, and a list reads from PostgreSQL only the current hour and what it has not
// seen lately. Kept for
// FRESH_MS while the bucket ended less than an hour ago (a worker's backlog lands then), and for
// FRESH_OLD_MS after: a transaction stored later than that into a sealed bucket (an SDK that
// was offline) shows within FRESH_OLD_MS, and a list seen again a few minutes later re-reads
// only its last hour or two.

export const FRESH_MS = 10 * 60_000;
export const FRESH_OLD_MS = 60 * 60_000;
const HOUR = 3_600_000;
const WIDTH = { h: HOUR, d: 24 * HOUR } as const;
const freshFor = (unit: StatsUnit, now: number) =>
  unit.bucket + WIDTH[unit.resolution] + HOUR <= now ? FRESH_OLD_MS : FRESH_MS;
/** Statements a read of missing figures is split into (of the pool's 8 connections). */
const PARALLEL_READS = 2;
/**
 * Memory the kept figures may take in a process; the least recently used go first. Only lists
 * sorted by p95 fill it; this holds an org's 24h and 14d such lists at the bench's scale
 * (npm run bench:performance-list prints what they take), a web process kept small.
 */
const MAX_BYTES = 16 * 1024 * 1024;

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

export type ProjectUnit = { projectId: number; unit: StatsUnit; figures: UnitFigures };
export type UnitFilter = { environment: string | null; release: string | null };

type Kept = { figures: UnitFigures; bytes: number; until: number };
const kept = new Map<string, Kept>();
let keptBytes = 0;

const keyOf = (projectId: number, unit: StatsUnit, filter: UnitFilter) =>
  JSON.stringify([projectId, unit.resolution, unit.bucket, filter.environment, filter.release]);

/** A unit the process does not keep figures of (or only stale ones): `key` is its cache key. */
export type MissingUnit = { projectId: number; unit: StatsUnit; key: string };

/**
 * The figures of each of these projects' units, for the filter: sealed ones kept within
 * FRESH_MS from memory, the rest read in one statement (and kept when sealed). Callers pass
 * project ids they have checked are the viewer's org's; the ids are part of every key.
 */
export async function unsafeUnitFigures(
  projectIds: number[],
  units: StatsUnit[],
  filter: UnitFilter,
  now = Date.now(),
): Promise<ProjectUnit[]> {
  const { kept: hits, missing } = unsafeKeptUnitFigures(projectIds, units, filter, now);
  return [...hits, ...(await unsafeReadUnitFigures(missing, filter, now))];
}

/**
 * The units' figures this process keeps (fresh ones only), and the units it does not. A list
 * that needs only totals reads what is missing without sketches (summary-rows.ts).
 */
export function unsafeKeptUnitFigures(
  projectIds: number[],
  units: StatsUnit[],
  filter: UnitFilter,
  now = Date.now(),
): { kept: ProjectUnit[]; missing: MissingUnit[] } {
  const out: ProjectUnit[] = [];
  const missing: MissingUnit[] = [];
  for (const projectId of projectIds) {
    for (const unit of units) {
      const key = keyOf(projectId, unit, filter);
      const hit = unit.sealed ? kept.get(key) : undefined;
      if (hit && hit.until > now) {
        // least recently used first: a hit moves to the end
        kept.delete(key);
        kept.set(key, hit);
        out.push({ projectId, unit, figures: hit.figures });
      } else missing.push({ projectId, unit, key });
    }
  }
  return { kept: out, missing };
}

/** Every group's figures of these units with their sketches, read from PostgreSQL and kept. */
export async function unsafeReadUnitFigures(
  missing: MissingUnit[],
  filter: UnitFilter,
  now = Date.now(),
): Promise<ProjectUnit[]> {
  const out: ProjectUnit[] = [];
  if (missing.length === 0) return out;
  // In a few statements at once: PostgreSQL writes one part's sketches while this process
  // reads another's.
  const parts = Math.min(PARALLEL_READS, missing.length);
  const size = Math.ceil(missing.length / parts);
  await Promise.all(
    Array.from({ length: parts }, async (_, p) => {
      const chunk = missing.slice(p * size, (p + 1) * size);
      const packed = await unsafePackedUnitRows(
        chunk.map((m) => ({ projectId: m.projectId, resolution: m.unit.resolution, bucket: m.unit.bucket })),
        filter,
      );
      chunk.forEach((m, i) => {
        const figures = compact(packed[i]!);
        if (m.unit.sealed) keep(m.key, figures, now + freshFor(m.unit, now));
        out[p * size + i] = { projectId: m.projectId, unit: m.unit, figures };
      });
    }),
  );
  return out;
}

/** Bytes the kept figures take in this process (what MAX_BYTES bounds; the bench prints it). */
export function keptFigureBytes(): number {
  return keptBytes;
}

/** Forgets every kept figure (tests that rewrite past buckets, the bench's cold lists). */
export function forgetUnitFigures(): void {
  kept.clear();
  keptBytes = 0;
}

/** Forgets the figures a list at time `at` would no longer use (the bench's revisits). */
export function expireUnitFigures(at: number): void {
  for (const [key, entry] of kept) {
    if (entry.until > at) continue;
    kept.delete(key);
    keptBytes -= entry.bytes;
  }
}

// What an entry costs besides its arrays' data: the Map entry, its key, the seven typed-array
// objects (about 1,700 bytes measured for an empty unit with node --expose-gc), and each group
// id string. Counted, so that many small or empty units (a period of 1,000 days under a new
// release= each time) reach MAX_BYTES as surely as a few large ones.
const ENTRY_BYTES = 2048;
const GROUP_ID_BYTES = 40;

function keep(key: string, figures: UnitFigures, until: number): void {
  const bytes =
    ENTRY_BYTES +
    key.length * 2 +
    figures.groupIds.length * GROUP_ID_BYTES +
    figures.count.byteLength * 4 +
    figures.offsets.byteLength +
    figures.keys.byteLength +
    figures.counts.byteLength;
  const old = kept.get(key);
  if (old) {
    keptBytes -= old.bytes;
    kept.delete(key);
  }
  kept.set(key, { figures, bytes, until });
  keptBytes += bytes;
  for (const [oldest, entry] of kept) {
    if (keptBytes <= MAX_BYTES) break;
    kept.delete(oldest);
    keptBytes -= entry.bytes;
  }
}

/**
 * One unit's rows (any environments and releases, packed in group id order) merged per group
 * into compact arrays.
 */
function compact(packed: Buffer): UnitFigures {
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
  let maxCount = 0;
  for (let i = 0; i < length; i++) if (counts[i]! > maxCount) maxCount = counts[i]!;
  return {
    groupIds: Float64Array.from(groupIds),
    count: Float64Array.from(count),
    failures: Float64Array.from(failures),
    durationSum: Float64Array.from(durationSum),
    offsets: Uint32Array.from(offsets),
    keys: keys.slice(0, length),
    // counts are sums of integers: they fit a Uint32 unless one passed 2^32 - 1
    counts: maxCount <= 0xffff_ffff ? Uint32Array.from(counts.subarray(0, length)) : counts.slice(0, length),
  };
}

/**
 * Counts per sketch bucket in a dense array, reused for one group after another: adding is an
 * array write rather than an object property's, the list's innermost loop. Bucket indexes
 * reach about 1,300 (30 days); a stored one is at most 2,047 (11 bits), and so is every kept
 * one (they come from stored ones).
 */
class SketchAccumulator {
  private readonly dense = new Float64Array(2048);
  private readonly seen = new Uint8Array(2048);
  private readonly touched = new Uint16Array(2048);
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

/**
 * One group's sketch over several units, merged: group `indexes[i]` of `figures[i]`, and the
 * stored sketches `stored` of units read without being kept.
 */
export function mergeUnitSketches(
  figures: UnitFigures[],
  indexes: number[],
  stored: Uint8Array[] = [],
): SketchEntries {
  for (let i = 0; i < figures.length; i++) {
    const { offsets, keys, counts } = figures[i]!;
    const index = indexes[i]!;
    for (let j = offsets[index]!; j < offsets[index + 1]!; j++) accumulator.add(keys[j]!, counts[j]!);
  }
  for (const bytes of stored) accumulator.addPacked(bytes);
  return accumulator.drain();
}
