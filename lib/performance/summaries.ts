import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { AppError } from "../errors";
import { type PageLinks, offsetOf, offsetPage, parseCursor } from "../pagination";
import { type Sketch, sketchApdex, sketchQuantiles } from "./sketch";
import { mergeSketchText } from "./sketch-text";
import { MAX_GROUPS_PER_PAGE, type TransactionGroupQuery } from "./summary-params";
import { type StatsPeriod, periodBuckets, statsPeriod } from "./summary-period";
import {
  type GroupMeta,
  type GroupTotals,
  type StatsFilter,
  type StatsRow,
  errorKey,
  unsafeErrorCounts,
  unsafeGroupTotals,
  unsafeGroupsById,
  unsafeGroupsByName,
  unsafeStatsRows,
} from "./summary-rows";
import type { TransactionGroupSummary } from "./types";

// The transactions list (issue #22): each group's figures over a period, merged at read time
// from the hourly or daily rows the worker writes (summary-period.ts says which and how the
// edges count), never from raw transactions. Percentiles and Apdex come from the merged
// sketch, within the sketch's relative accuracy; counts, failure rate and throughput are exact.

export { parseTransactionGroupQuery, type TransactionGroupQuery } from "./summary-params";

export type TransactionGroupListItem = TransactionGroupSummary & {
  /** transactions per bucket (hour, or day for long periods) across the period, oldest first */
  series: number[];
};

export type TransactionGroupSeriesPoint = {
  /** ISO 8601 start of the hour or day */
  bucket: string;
  count: number;
  avgDuration: number | null;
  p50: number | null;
  p95: number | null;
  failureRate: number;
};

export type TransactionGroupRef = { projectId: number; transaction: string; op: string | null; method: string | null };

type Project = { id: number; slug: string; apdexThresholdMs: number };

/** A group's figures as they are merged: totals, the merged sketch, and counts per bucket. */
type Merged = GroupTotals & { sketch: Sketch; series: number[] };

const QUANTILES = [0.5, 0.75, 0.95, 0.99] as const;
const MAX_INT = 2_147_483_647;

/**
 * One page of the viewer's org's transaction groups with transactions in the period, with
 * their figures and sparkline counts, sorted (ties by newest group first) and offset-paged:
 * every group's sort key is computed anyway, so an offset costs nothing. A project id or slug
 * in the query that is not the org's is not found.
 */
export async function listTransactionGroups(
  viewer: Viewer,
  query: TransactionGroupQuery,
): Promise<{ groups: TransactionGroupListItem[]; nextCursor: string | null; prevCursor: string | null; links: PageLinks }> {
  assertCan(viewer.role, "performance:read");
  const offset = offsetOf(parseCursor(query.cursor));
  const perPage = Math.min(Math.max(Math.trunc(query.perPage) || 1, 1), MAX_GROUPS_PER_PAGE);
  const projects = await projectsOfQuery(viewer, query);
  const period = statsPeriod(query.start, query.end);
  const filter: StatsFilter = {
    projectIds: [...projects.keys()],
    period,
    environment: query.environment,
    release: query.release,
    nameContains: query.query,
  };

  // Sorting by p95 needs every group's merged sketch; the other sorts only its totals, and
  // the sketches of the page's groups.
  let ranked: GroupTotals[];
  let merged: Map<string, Merged>;
  if (query.sort === "-p95") {
    merged = mergeRows(await unsafeStatsRows(filter, null), period);
    const p95 = new Map([...merged.values()].map((m) => [m.groupId, sketchQuantiles(m.sketch, [0.95])[0] ?? -1]));
    ranked = [...merged.values()].sort((a, b) => p95.get(b.groupId)! - p95.get(a.groupId)! || byNewest(a, b));
  } else {
    const rate = (t: GroupTotals) => (t.count > 0 ? t.failures / t.count : 0);
    const key = query.sort === "-failureRate" ? rate : (t: GroupTotals) => t.count;
    ranked = (await unsafeGroupTotals(filter)).sort((a, b) => key(b) - key(a) || byNewest(a, b));
    merged = new Map();
  }

  const { items, links } = offsetPage(ranked.slice(offset, offset + perPage + 1), perPage, offset);
  const missing = items.filter((t) => !merged.has(t.groupId)).map((t) => t.groupId);
  if (missing.length > 0) for (const [id, m] of mergeRows(await unsafeStatsRows(filter, missing), period)) merged.set(id, m);
  const metas = new Map((await unsafeGroupsById(viewer.orgId, items.map((t) => t.groupId))).map((g) => [g.groupId, g]));
  const errors = await unsafeErrorCounts(
    filter,
    [...metas.values()].map((g) => ({ projectId: g.projectId, name: g.name })),
  );
  const groups = items.flatMap((t) => {
    const meta = metas.get(t.groupId);
    const m = merged.get(t.groupId);
    if (!meta || !m) return [];
    return [{ ...summarize(meta, m, projects.get(meta.projectId)!, period, errors), series: m.series }];
  });
  return {
    groups,
    nextCursor: links.next.results ? links.next.cursor : null,
    prevCursor: links.previous.results ? links.previous.cursor : null,
    links,
  };
}

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
  if (!Number.isInteger(ref.projectId) || ref.projectId < 1 || ref.projectId > MAX_INT) return null;
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
    nameContains: null,
  };
  const rows = await unsafeStatsRows(
    statsFilter,
    groups.map((g) => g.groupId),
  );
  const buckets = periodBuckets(period);
  const perBucket = buckets.map(() => emptyMerged(""));
  const total = emptyMerged(groups[0]!.groupId);
  for (const row of rows) {
    const bucket = perBucket[Math.round((row.bucket.getTime() - period.start.getTime()) / period.step)];
    if (bucket) addRow(bucket, row, -1);
    addRow(total, row, -1);
  }
  const shared = (values: string[]) => (new Set(values).size === 1 ? values[0]! : "");
  const meta: GroupMeta = {
    ...groups[0]!,
    op: shared(groups.map((g) => g.op)),
    method: shared(groups.map((g) => g.method)),
  };
  const errors = await unsafeErrorCounts(statsFilter, [{ projectId: project.id, name: ref.transaction }]);
  return {
    summary: summarize(meta, total, project, period, errors),
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

/** The projects the query names (every project of the org when none), with what figures need. */
async function projectsOfQuery(viewer: Viewer, query: TransactionGroupQuery): Promise<Map<number, Project>> {
  const ids = query.projectIds ?? [];
  const slugs = query.projectSlugs ?? [];
  const all = ids.length === 0 && slugs.length === 0;
  const valid = ids.filter((id) => Number.isInteger(id) && id > 0 && id <= MAX_INT);
  const projects = await db().project.findMany({
    where: { orgId: viewer.orgId, ...(all ? {} : { OR: [{ id: { in: valid } }, { slug: { in: slugs } }] }) },
    select: { id: true, slug: true, apdexThresholdMs: true },
  });
  if (!all) {
    const found = (p: Project) => ids.includes(p.id) || slugs.includes(p.slug);
    const named = projects.filter(found);
    if (ids.some((id) => !named.some((p) => p.id === id)) || slugs.some((s) => !named.some((p) => p.slug === s)))
      throw new AppError("not_found", "no such project");
    return new Map(named.map((p) => [p.id, p]));
  }
  return new Map(projects.map((p) => [p.id, p]));
}

const byNewest = (a: GroupTotals, b: GroupTotals) => (BigInt(b.groupId) > BigInt(a.groupId) ? 1 : -1);

const emptyMerged = (groupId: string, buckets = 0): Merged => ({
  groupId,
  count: 0,
  failures: 0,
  durationSum: 0,
  sketch: {},
  series: new Array<number>(buckets).fill(0),
});

/** Adds a stats row into a group's merged figures (and its bucket's count when `bucket` >= 0). */
function addRow(into: Merged, row: StatsRow, bucket: number): void {
  into.count += row.count;
  into.failures += row.failures;
  into.durationSum += row.durationSum;
  mergeSketchText(into.sketch, row.sketch);
  if (bucket >= 0 && bucket < into.series.length) into.series[bucket]! += row.count;
}

/** Stats rows merged per group. */
function mergeRows(rows: StatsRow[], period: StatsPeriod): Map<string, Merged> {
  const buckets = Math.round((period.end.getTime() - period.start.getTime()) / period.step);
  const out = new Map<string, Merged>();
  for (const row of rows) {
    let m = out.get(row.groupId);
    if (!m) {
      m = emptyMerged(row.groupId, buckets);
      out.set(row.groupId, m);
    }
    addRow(m, row, Math.round((row.bucket.getTime() - period.start.getTime()) / period.step));
  }
  return out;
}

function summarize(
  meta: GroupMeta,
  m: Merged,
  project: Project,
  period: StatsPeriod,
  errors: Map<string, number>,
): TransactionGroupSummary {
  const [p50, p75, p95, p99] = sketchQuantiles(m.sketch, QUANTILES);
  return {
    transaction: meta.name,
    op: meta.op,
    method: meta.method,
    project: { id: String(project.id), slug: project.slug },
    count: m.count,
    throughput: m.count / period.minutes,
    avgDuration: m.count > 0 ? m.durationSum / m.count : null,
    p50: p50 ?? null,
    p75: p75 ?? null,
    p95: p95 ?? null,
    p99: p99 ?? null,
    failureRate: m.count > 0 ? m.failures / m.count : 0,
    apdex: sketchApdex(m.sketch, project.apdexThresholdMs),
    errorCount: errors.get(errorKey(meta.projectId, meta.name)) ?? 0,
  };
}
