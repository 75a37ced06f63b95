import type { SketchEntries } from "./sketch";
import { entriesQuantiles } from "./sketch";
import {
  type MissingUnit,
  type UnitFilter,
  unsafeKeptListFigures,
  unsafeKeptUnitFigures,
  unsafeListFigures,
} from "./summary-cache";
import type { StatsUnit } from "./summary-period";
import { type UnitRow, unsafeGroupUnitRows, unsafeUnitTotals } from "./summary-rows";
import type { TransactionGroupSort } from "./types";
import { type CombinedFigures, type ProjectUnit, type UnitFigures, mergeUnitSketches } from "./unit-figures";

// The order of the transactions list: every group of the period ranked on its sort key. By
// p95 that needs every group's merged sketch (every unit's figures, kept in process by
// summary-cache.ts, most of them as one combined figure). By count, throughput or failure rate
// the keys are totals: units the process keeps (a p95 list of the same period and filter kept
// them) are read from memory, the others only as totals summed in PostgreSQL, and the
// sketches and per-bucket counts of those units are read afterwards for the page's groups only.

/** A group's figures as they are merged: totals, counts per bucket, and where its sketch is. */
export type Merged = {
  groupId: number;
  count: number;
  failures: number;
  durationSum: number;
  series: number[];
  /** its sketch is group partIndexes[i] of partFigures[i], for each i, plus the stored sketches `stored` */
  partFigures: UnitFigures[];
  partIndexes: number[];
  stored: Buffer[];
  /** totals of units not read row by row yet (see completePage); null when there are none */
  pending: { projectId: number; count: number; failures: number; durationSum: number } | null;
  entries: SketchEntries | null;
};

export type RankQuery = {
  projectIds: number[];
  units: StatsUnit[];
  /** points of the sparkline */
  buckets: number;
  filter: UnitFilter;
  /** only these group ids, when given (a name search) */
  only: Set<string> | null;
  sort: TransactionGroupSort;
  now: number;
};

/**
 * Every group with transactions in the units, in the sort's order (ties by newest group first),
 * and `completePage`, which must be called on the groups shown before their figures are read.
 * Callers pass project ids they have checked are the viewer's org's.
 */
export async function unsafeRankGroups(q: RankQuery): Promise<{
  ranked: Merged[];
  completePage: (page: Merged[]) => Promise<void>;
}> {
  if (q.sort === "-p95") {
    const { combined, units } = await unsafeListFigures(q.projectIds, q.units, q.filter, q.buckets, q.now);
    const merged = [...mergeUnits(units, q.buckets, q.only, combined).values()].filter((m) => m.count > 0);
    const p95 = new Map(merged.map((m) => [m, entriesQuantiles(entriesOf(m), [0.95])[0] ?? -1]));
    return {
      ranked: merged.sort((a, b) => p95.get(b)! - p95.get(a)! || byNewest(a, b)),
      completePage: async () => {},
    };
  }
  const { combined, rest } = unsafeKeptListFigures(q.projectIds, q.units, q.filter, q.buckets, q.now);
  const { kept, missing } = unsafeKeptUnitFigures(q.projectIds, rest, q.filter, q.now);
  const merged = mergeUnits(kept, q.buckets, q.only, combined);
  for (const t of await unsafeUnitTotals(missing.map(unitOf), q.filter)) {
    if (q.only && !q.only.has(t.groupId)) continue;
    const groupId = Number(t.groupId);
    let m = merged.get(groupId);
    if (!m) {
      m = emptyMerged(groupId, q.buckets);
      merged.set(groupId, m);
    }
    m.pending = { projectId: t.projectId, count: t.count, failures: t.failures, durationSum: t.durationSum };
  }
  const count = (m: Merged) => m.count + (m.pending?.count ?? 0);
  const rate = (m: Merged) => (m.failures + (m.pending?.failures ?? 0)) / count(m);
  const key = q.sort === "-failureRate" ? rate : count;
  const ranked = [...merged.values()].filter((m) => count(m) > 0);
  return {
    ranked: ranked.sort((a, b) => key(b) - key(a) || byNewest(a, b)),
    completePage: (page) => completePage(page, missing, q.filter),
  };
}

/** A group's sketch over the period, merged from its units the first time it is needed. */
export function entriesOf(m: Merged): SketchEntries {
  m.entries ??= mergeUnitSketches(m.partFigures, m.partIndexes, m.stored);
  return m.entries;
}

const byNewest = (a: Merged, b: Merged) => b.groupId - a.groupId;
const unitOf = (m: MissingUnit) => ({
  projectId: m.projectId,
  resolution: m.unit.resolution,
  bucket: m.unit.bucket,
});

function emptyMerged(groupId: number, buckets: number): Merged {
  return {
    groupId,
    count: 0,
    failures: 0,
    durationSum: 0,
    series: new Array<number>(buckets).fill(0),
    partFigures: [],
    partIndexes: [],
    stored: [],
    pending: null,
    entries: null,
  };
}

/**
 * The units' figures per group, and the combined figure's when given (only groups in `only`
 * when given), sketches left unmerged.
 */
function mergeUnits(
  units: ProjectUnit[],
  buckets: number,
  only: Set<string> | null,
  combined: CombinedFigures | null = null,
): Map<number, Merged> {
  const out = new Map<number, Merged>();
  const add = (figures: UnitFigures, addSeries: (m: Merged, i: number) => void) => {
    const { groupIds, count, failures, durationSum } = figures;
    for (let i = 0; i < groupIds.length; i++) {
      const groupId = groupIds[i]!;
      if (only && !only.has(String(groupId))) continue;
      let m = out.get(groupId);
      if (!m) {
        m = emptyMerged(groupId, buckets);
        out.set(groupId, m);
      }
      m.count += count[i]!;
      m.failures += failures[i]!;
      m.durationSum += durationSum[i]!;
      addSeries(m, i);
      m.partFigures.push(figures);
      m.partIndexes.push(i);
    }
  };
  if (combined)
    add(combined.figures, (m, i) => {
      for (let b = 0; b < buckets; b++) m.series[b]! += combined.series[i * buckets + b]!;
    });
  for (const { unit, figures } of units) add(figures, (m, i) => (m.series[unit.index]! += figures.count[i]!));
  return out;
}

/**
 * The page's groups' rows of the units only their totals were read of: their counts per
 * bucket and sketches. Totals are summed again from the rows as a kept unit's are (per unit,
 * then unit after unit), so a page shows the same figures whichever way it was read.
 */
async function completePage(page: Merged[], missing: MissingUnit[], filter: UnitFilter): Promise<void> {
  const need = page.filter((m) => m.pending !== null);
  const rows = await unsafeGroupUnitRows(
    need.map((m) => ({ groupId: m.groupId, projectId: m.pending!.projectId })),
    missing.map(unitOf),
    filter,
  );
  const byGroup = new Map<number, UnitRow[]>();
  for (const row of rows) {
    const list = byGroup.get(Number(row.groupId));
    if (list) list.push(row);
    else byGroup.set(Number(row.groupId), [row]);
  }
  for (const m of need) {
    const list = (byGroup.get(m.groupId) ?? []).sort((a, b) => a.unit - b.unit);
    for (let i = 0; i < list.length; ) {
      const unit = list[i]!.unit;
      let count = 0;
      let failures = 0;
      let durationSum = 0;
      for (; i < list.length && list[i]!.unit === unit; i++) {
        const row = list[i]!;
        count += row.count;
        failures += row.failures;
        durationSum += row.durationSum;
        m.stored.push(row.sketch);
      }
      m.count += count;
      m.failures += failures;
      m.durationSum += durationSum;
      m.series[missing[unit]!.unit.index]! += count;
    }
    m.pending = null;
  }
}
