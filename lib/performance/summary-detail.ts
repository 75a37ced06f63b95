import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { type Sketch, sketchQuantiles, sortedEntries } from "./sketch";
import { mergePackedSketch } from "./sketch-bytes";
import { summarize } from "./summary-figures";
import { MAX_ID, type TransactionGroupQuery } from "./summary-params";
import { periodBuckets, statsPeriod } from "./summary-period";
import {
  type GroupMeta,
  type StatsFilter,
  type StatsRow,
  unsafeErrorCounts,
  unsafeGroupsByName,
  unsafeStatsRows,
} from "./summary-rows";
import type { TransactionGroupSummary } from "./types";

// One group's page: its figures and its chart per hour (or day), read straight from its stats
// rows (a few groups' rows: nothing to keep between calls).

export type TransactionGroupSeriesPoint = {
  /** ISO 8601 start of the hour or day */
  bucket: string;
  count: number;
  avgDuration: number | null;
  p50: number | null;
  p95: number | null;
  failureRate: number;
};

export type TransactionGroupRef = {
  projectId: number;
  transaction: string;
  op: string | null;
  method: string | null;
};

/**
 * One group's figures over the period and its chart per hour (or day), from the stats of the
 * project's groups of that name (of any op or method when they are null: then the op and
 * method are the groups' own when they all share one, "" otherwise); null when the viewer's
 * org has no such group.
 */
export async function transactionGroupDetail(
  viewer: Viewer,
  ref: TransactionGroupRef,
  filter: Pick<TransactionGroupQuery, "environment" | "release" | "start" | "end">,
): Promise<{ summary: TransactionGroupSummary; series: TransactionGroupSeriesPoint[] } | null> {
  assertCan(viewer.role, "performance:read");
  if (!Number.isInteger(ref.projectId) || ref.projectId < 1 || ref.projectId > MAX_ID) return null;
  const project = await db().project.findFirst({
    where: { id: ref.projectId, orgId: viewer.orgId },
    select: { id: true, slug: true, apdexThresholdMs: true },
  });
  if (!project) return null;
  const groups = await unsafeGroupsByName(viewer.orgId, ref);
  if (groups.length === 0) return null;
  const period = statsPeriod(filter.start, filter.end);
  const statsFilter: StatsFilter = {
    projectIds: [project.id],
    period,
    environment: filter.environment,
    release: filter.release,
  };
  const rows = await unsafeStatsRows(
    statsFilter,
    groups.map((g) => g.groupId),
  );
  const buckets = periodBuckets(period);
  const perBucket = buckets.map(() => emptyTotals());
  const total = emptyTotals();
  for (const row of rows) {
    const bucket = perBucket[Math.round((row.bucket.getTime() - period.start.getTime()) / period.step)];
    if (bucket) addRow(bucket, row);
    addRow(total, row);
  }
  const shared = (values: string[]) => (new Set(values).size === 1 ? values[0]! : "");
  const meta: GroupMeta = {
    ...groups[0]!,
    op: shared(groups.map((g) => g.op)),
    method: shared(groups.map((g) => g.method)),
  };
  const errors = await unsafeErrorCounts(statsFilter, [{ projectId: project.id, name: ref.transaction }]);
  return {
    summary: summarize(meta, total, sortedEntries(total.sketch), project, period, errors),
    series: perBucket.map((m, i) => {
      const [p50, p95] = sketchQuantiles(m.sketch, [0.5, 0.95]);
      return {
        bucket: buckets[i]!.toISOString(),
        count: m.count,
        avgDuration: m.count > 0 ? m.durationSum / m.count : null,
        p50: p50 ?? null,
        p95: p95 ?? null,
        failureRate: m.count > 0 ? m.failures / m.count : 0,
      };
    }),
  };
}

type Totals = { count: number; failures: number; durationSum: number; sketch: Sketch };
const emptyTotals = (): Totals => ({ count: 0, failures: 0, durationSum: 0, sketch: {} });

function addRow(into: Totals, row: StatsRow): void {
  into.count += row.count;
  into.failures += row.failures;
  into.durationSum += row.durationSum;
  mergePackedSketch(into.sketch, row.sketch);
}
