import type { StatsUnit } from "./summary-period";
import { unsafePackedUnitRows } from "./summary-rows";
import { type CombinedFigures, type ProjectUnit, type UnitFigures, combineUnits, compactPackedRows } from "./unit-figures";

// Every group's figures of one project and one stored bucket (for an environment and release
// filter), merged across the rows the worker keeps per environment and release. Reading a
// period's sketches is most of a list's cost (14 days of daily rows hold 2.9 M buckets at the
// bench's scale, packed 3 bytes each; they were ~100 ns apiece as jsonb text), while a sealed
// bucket's rows no longer change: so sealed buckets' figures are kept here, in this process, in
// compact arrays, and a list reads from PostgreSQL only the current hour and what it has not
// seen lately. Buckets that ended over an hour ago are kept for FRESH_OLD_MS, all of a list's
// merged into one combined figure (unsafeListFigures): a transaction stored later than that
// into a sealed bucket (an SDK that was offline) shows within FRESH_OLD_MS. Sealed buckets that
// ended within the hour are kept one by one for FRESH_MS (a worker's backlog lands then), so a list
// seen again a few minutes later re-reads only its last hour or two.

export const FRESH_MS = 10 * 60_000;
export const FRESH_OLD_MS = 60 * 60_000;
const HOUR = 3_600_000;
const WIDTH = { h: HOUR, d: 24 * HOUR } as const;
/** Whether a unit ended over an hour ago: a late transaction in it is rare, so it is kept long. */
const endedLongAgo = (unit: StatsUnit, now: number) => unit.sealed && unit.bucket + WIDTH[unit.resolution] + HOUR <= now;
const freshFor = (unit: StatsUnit, now: number) => (endedLongAgo(unit, now) ? FRESH_OLD_MS : FRESH_MS);
/** Statements a read of missing figures is split into (of the pool's 8 connections). */
const PARALLEL_READS = 2;
/**
 * Memory the kept figures may take in a process; the least recently used go first. Only lists
 * sorted by p95 fill it; this holds the 24h and 14d such lists of several orgs at the bench's
 * scale (npm run bench:performance-list prints what they take), a web process kept small.
 */
const MAX_BYTES = 16 * 1024 * 1024;
let maxBytes = MAX_BYTES;

export type UnitFilter = { environment: string | null; release: string | null };

/** A unit's figures, or a list's units combined (keys starting "combined"). */
type Kept = { value: UnitFigures | CombinedFigures; bytes: number; until: number };
const kept = new Map<string, Kept>();
let keptBytes = 0;

const keyOf = (projectId: number, unit: StatsUnit, filter: UnitFilter) =>
  JSON.stringify([projectId, unit.resolution, unit.bucket, filter.environment, filter.release]);

/**
 * The figures a list sorted by p95 merges: the units that ended over an hour ago combined into
 * one (kept for FRESH_OLD_MS from its read), and the others unit by unit. `buckets` is
 * the period's number of series points (the units' `index` runs below it). Callers pass project
 * ids they have checked are the viewer's org's; the ids are part of the key.
 */
export async function unsafeListFigures(
  projectIds: number[],
  units: StatsUnit[],
  filter: UnitFilter,
  buckets: number,
  now = Date.now(),
): Promise<{ combined: CombinedFigures | null; units: ProjectUnit[] }> {
  const { key, old, recent } = splitUnits(projectIds, units, filter, buckets, now);
  const hit = old.length > 0 ? fresh(key, now) : undefined;
  const [combined, rest] = await Promise.all([
    hit ? (hit.value as CombinedFigures) : old.length === 0 ? null : combine(key, projectIds, old, filter, buckets, now),
    unsafeUnitFigures(projectIds, recent, filter, now),
  ]);
  return { combined, units: rest };
}

/**
 * The combined figure of these units a list sorted by p95 keeps, if it is fresh, and the units
 * it does not cover (all of them when there is none): a list sorted by totals uses it and reads
 * nothing for it.
 */
export function unsafeKeptListFigures(
  projectIds: number[],
  units: StatsUnit[],
  filter: UnitFilter,
  buckets: number,
  now = Date.now(),
): { combined: CombinedFigures | null; rest: StatsUnit[] } {
  const { key, old, recent } = splitUnits(projectIds, units, filter, buckets, now);
  const hit = old.length > 0 ? fresh(key, now) : undefined;
  return hit ? { combined: hit.value as CombinedFigures, rest: recent } : { combined: null, rest: units };
}

function splitUnits(projectIds: number[], units: StatsUnit[], filter: UnitFilter, buckets: number, now: number) {
  const old = units.filter((u) => endedLongAgo(u, now));
  const recent = units.filter((u) => !endedLongAgo(u, now));
  const key = JSON.stringify(["combined", projectIds, filter.environment, filter.release, buckets, old.map((u) => [u.resolution, u.bucket, u.index])]);
  return { key, old, recent };
}

async function combine(
  key: string,
  projectIds: number[],
  units: StatsUnit[],
  filter: UnitFilter,
  buckets: number,
  now: number,
): Promise<CombinedFigures> {
  // Read, not taken from the units kept one by one, and not kept one by one: a combined figure
  // takes a tenth of the memory of its units' (npm run bench:performance-list prints both), so
  // the same MAX_BYTES holds ten times as many lists. When an hour's end moves a unit into a
  // list's combined units (once an hour), the list reads them all again, as cold.
  const missing = units.flatMap((unit) => projectIds.map((projectId) => ({ projectId, unit, key: keyOf(projectId, unit, filter) })));
  const combined = combineUnits(await readUnitFigures(missing, filter, now, false), buckets);
  keep(key, combined, figureBytes(combined.figures) + combined.series.byteLength, now + FRESH_OLD_MS);
  return combined;
}

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
  return [...hits, ...(await readUnitFigures(missing, filter, now))];
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
      const hit = unit.sealed ? fresh(key, now) : undefined;
      if (hit) out.push({ projectId, unit, figures: hit.value as UnitFigures });
      else missing.push({ projectId, unit, key });
    }
  }
  return { kept: out, missing };
}

/**
 * Every group's figures of these units with their sketches, read from PostgreSQL, the sealed
 * ones kept unless `keepSealed` is false.
 */
async function readUnitFigures(
  missing: MissingUnit[],
  filter: UnitFilter,
  now = Date.now(),
  keepSealed = true,
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
        const figures = compactPackedRows(packed[i]!);
        if (keepSealed && m.unit.sealed) keep(m.key, figures, figureBytes(figures), now + freshFor(m.unit, now));
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

/** Sets the memory kept figures may take (a test of the bound), or MAX_BYTES again without `bytes`. */
export function setKeptFigureLimit(bytes = MAX_BYTES): void {
  maxBytes = bytes;
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

function figureBytes(figures: UnitFigures): number {
  return (
    ENTRY_BYTES +
    figures.groupIds.length * GROUP_ID_BYTES +
    figures.count.byteLength * 4 +
    figures.offsets.byteLength +
    figures.keys.byteLength +
    figures.counts.byteLength
  );
}

function keep(key: string, value: UnitFigures | CombinedFigures, bytes: number, until: number): void {
  const old = kept.get(key);
  if (old) {
    keptBytes -= old.bytes;
    kept.delete(key);
  }
  kept.set(key, { value, bytes: bytes + key.length * 2, until });
  keptBytes += bytes + key.length * 2;
  for (const [oldest, entry] of kept) {
    if (keptBytes <= maxBytes) break;
    kept.delete(oldest);
    keptBytes -= entry.bytes;
  }
}

/** The entry kept under `key` if it is still fresh at `now`, made the most recently used. */
function fresh(key: string, now: number): Kept | undefined {
  const hit = kept.get(key);
  if (!hit || hit.until <= now) return undefined;
  kept.delete(key);
  kept.set(key, hit);
  return hit;
}
