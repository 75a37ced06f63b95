import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { type Db, dbRead } from "../db";
import { AppError } from "../errors";

/** Stats periods an issue can draw: 24 hourly, or 14 or 30 daily buckets. */
export type StatsPeriod = "24h" | "14d" | "30d";
const BUCKETS: Record<StatsPeriod, number> = { "24h": 24, "14d": 14, "30d": 30 };

const issueSelect = {
  id: true,
  projectId: true,
  shortId: true,
  title: true,
  culprit: true,
  type: true,
  level: true,
  platform: true,
  metadata: true,
  status: true,
  substatus: true,
  timesSeen: true,
  userCount: true,
  firstSeen: true,
  lastSeen: true,
  firstRelease: true,
  lastRelease: true,
  resolvedAt: true,
  resolvedInNextRelease: true,
  resolvedInRelease: { select: { version: true } },
  ignoreUntil: true,
  ignoreUntilCount: true,
  project: { select: { id: true, slug: true, name: true, platform: true } },
  assignee: { select: { id: true, name: true, email: true } },
} as const;

type IssueRecord = Awaited<ReturnType<typeof findIssues>>[number];
export type IssueView = IssueRecord & { isUnhandled: boolean; stats: Partial<Record<StatsPeriod, [number, number][]>> };

function findIssues(read: Db, orgId: number, ids: number[]) {
  return read.issue.findMany({ where: { id: { in: ids }, project: { orgId } }, select: issueSelect });
}

/**
 * The issues with these ids in the viewer's org, in the order given, with what the API shows
 * beside the row: unhandled flag (from the `handled` tag values) and event counts per bucket.
 */
export async function issueViews(
  viewer: Viewer,
  ids: number[],
  options: { stats?: StatsPeriod | null; now?: Date } = {},
): Promise<IssueView[]> {
  assertCan(viewer.role, "issues:read");
  if (ids.length === 0) return [];
  const read = await dbRead(viewer);
  const [records, unhandled, stats] = await Promise.all([
    findIssues(read, viewer.orgId, ids),
    read.issueTagValue.findMany({
      where: { issueId: { in: ids }, key: "handled", value: "no" },
      select: { issueId: true },
    }),
    options.stats === null ? undefined : issueStats(read, ids, options.stats ?? "24h", options.now ?? new Date()),
  ]);
  const byId = new Map(records.map((r) => [r.id, r]));
  const unhandledIds = new Set(unhandled.map((u) => u.issueId));
  return ids.flatMap((id) => {
    const record = byId.get(id);
    if (!record) return [];
    const view: IssueView = { ...record, isUnhandled: unhandledIds.has(id), stats: {} };
    if (stats) view.stats[stats.period] = stats.series(id);
    return [view];
  });
}

/** One issue of the viewer's org; 404 for an unknown or foreign id. */
export async function issueView(viewer: Viewer, id: number, options: { stats?: StatsPeriod | null } = {}) {
  const [view] = await issueViews(viewer, [id], options);
  if (!view) throw new AppError("not_found", "no such issue");
  return view;
}

/** An issue with its recent activity, for the issue details endpoint. */
export async function issueDetail(viewer: Viewer, id: number) {
  const view = await issueView(viewer, id);
  const activity = await (await dbRead(viewer)).issueActivity.findMany({
    where: { issueId: id, issue: { project: { orgId: viewer.orgId } } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 100,
    select: { id: true, type: true, data: true, createdAt: true, user: { select: { id: true, name: true, email: true } } },
  });
  return { ...view, activity };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Event counts per bucket from issue_hourly_counts (never the events): [unix seconds, count]. */
async function issueStats(read: Db, ids: number[], period: StatsPeriod, now: Date) {
  const step = period === "24h" ? HOUR : DAY;
  const buckets = BUCKETS[period];
  const last = Math.floor(now.getTime() / step) * step;
  const first = last - (buckets - 1) * step;
  const rows = await read.$queryRaw<{ issue_id: number; bucket: Date; count: bigint }[]>`
    select issue_id, date_bin(${`${step / 1000} seconds`}::interval, hour, timestamptz 'epoch') as bucket,
           sum(count) as count
    from issue_hourly_counts
    where issue_id = any(${ids}::int[]) and hour >= ${new Date(first)}
    group by issue_id, bucket`;
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(`${row.issue_id}:${row.bucket.getTime()}`, Number(row.count));
  return {
    period,
    series: (id: number): [number, number][] =>
      Array.from({ length: buckets }, (_, i) => {
        const at = first + i * step;
        return [at / 1000, counts.get(`${id}:${at}`) ?? 0];
      }),
  };
}
