import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { dbRead, onReplicaSql, readsOnReplica } from "../db";
import { AppError } from "../errors";
import { type PageLinks, offsetOf, offsetPage, parseCursor } from "../pagination";
import { type SummaryProject, summarize } from "./summary-figures";
import { MAX_GROUPS_PER_PAGE, MAX_ID, type TransactionGroupQuery } from "./summary-params";
import { periodUnits, statsPeriod } from "./summary-period";
import { entriesOf, unsafeRankGroups } from "./summary-rank";
import { unsafeErrorCounts, unsafeGroupIdsNamed, unsafeGroupsById } from "./summary-rows";
import type { TransactionGroupSummary } from "./types";

// The transactions list (issue #22): each group's figures over a period, merged at read time
// from the hourly or daily rows the worker writes (summary-period.ts says which and how the
// edges count; summary-rank.ts orders the groups, summary-cache.ts keeps sealed buckets' merged
// figures), never from raw transactions. Percentiles and Apdex come from the merged sketch,
// within the sketch's relative accuracy; counts, failure rate and throughput are exact.

export { parseTransactionGroupQuery, type TransactionGroupQuery } from "./summary-params";
export {
  transactionGroupDetail,
  type TransactionGroupRef,
  type TransactionGroupSeriesPoint,
} from "./summary-detail";

export type TransactionGroupListItem = TransactionGroupSummary & {
  /** transactions per bucket (hour, or day for long periods) across the period, oldest first */
  series: number[];
};

/**
 * One page of the viewer's org's transaction groups with transactions in the period, with
 * their figures and sparkline counts, sorted (ties by newest group first) and offset-paged:
 * every group's sort key is computed anyway, so an offset costs nothing. A project id or slug
 * in the query that is not the org's is not found.
 */
export async function listTransactionGroups(
  viewer: Viewer,
  query: TransactionGroupQuery,
  now = Date.now(),
): Promise<TransactionGroupPage> {
  assertCan(viewer.role, "performance:read");
  // The list's statements (summary-*.ts, through sqlRows) go to the read replica when the
  // viewer's reads may (lib/db-read.ts).
  if (await readsOnReplica(viewer)) return onReplicaSql(() => transactionGroupPage(viewer, query, now));
  return transactionGroupPage(viewer, query, now);
}

type TransactionGroupPage = {
  groups: TransactionGroupListItem[];
  nextCursor: string | null;
  prevCursor: string | null;
  links: PageLinks;
};

async function transactionGroupPage(viewer: Viewer, query: TransactionGroupQuery, now: number): Promise<TransactionGroupPage> {
  const offset = offsetOf(parseCursor(query.cursor));
  const perPage = Math.min(Math.max(Math.trunc(query.perPage) || 1, 1), MAX_GROUPS_PER_PAGE);
  const projects = await projectsOfQuery(viewer, query);
  const projectIds = [...projects.keys()];
  const period = statsPeriod(query.start, query.end, now);
  const filter = { environment: query.environment, release: query.release };
  const named = query.query === null ? null : await unsafeGroupIdsNamed(projectIds, query.query);
  const { ranked, completePage } = await unsafeRankGroups({
    projectIds,
    units: periodUnits(period, now),
    buckets: Math.round((period.end.getTime() - period.start.getTime()) / period.step),
    filter,
    only: named,
    sort: query.sort,
    now,
  });

  const { items, links } = offsetPage(ranked.slice(offset, offset + perPage + 1), perPage, offset);
  const [, metaRows] = await Promise.all([
    completePage(items),
    unsafeGroupsById(
      viewer.orgId,
      items.map((m) => String(m.groupId)),
    ),
  ]);
  const metas = new Map(metaRows.map((g) => [Number(g.groupId), g]));
  const errors = await unsafeErrorCounts(
    { projectIds, period, ...filter },
    [...metas.values()].map((g) => ({ projectId: g.projectId, name: g.name })),
  );
  const groups = items.flatMap((m) => {
    const meta = metas.get(m.groupId);
    if (!meta) return [];
    return [
      {
        ...summarize(meta, m, entriesOf(m), projects.get(meta.projectId)!, period, errors),
        series: m.series,
      },
    ];
  });
  return {
    groups,
    nextCursor: links.next.results ? links.next.cursor : null,
    prevCursor: links.previous.results ? links.previous.cursor : null,
    links,
  };
}

/** The projects the query names (every project of the org when none), with what figures need. */
async function projectsOfQuery(
  viewer: Viewer,
  query: TransactionGroupQuery,
): Promise<Map<number, SummaryProject>> {
  const ids = query.projectIds ?? [];
  const slugs = query.projectSlugs ?? [];
  const all = ids.length === 0 && slugs.length === 0;
  const valid = ids.filter((id) => Number.isInteger(id) && id > 0 && id <= MAX_ID);
  const projects = await (await dbRead(viewer)).project.findMany({
    where: { orgId: viewer.orgId, ...(all ? {} : { OR: [{ id: { in: valid } }, { slug: { in: slugs } }] }) },
    select: { id: true, slug: true, apdexThresholdMs: true },
  });
  if (!all) {
    const found = (p: SummaryProject) => ids.includes(p.id) || slugs.includes(p.slug);
    const named = projects.filter(found);
    if (
      ids.some((id) => !named.some((p) => p.id === id)) ||
      slugs.some((s) => !named.some((p) => p.slug === s))
    )
      throw new AppError("not_found", "no such project");
    return new Map(named.map((p) => [p.id, p]));
  }
  return new Map(projects.map((p) => [p.id, p]));
}
