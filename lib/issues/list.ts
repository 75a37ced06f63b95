import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db, dbRead } from "../db";
import { AppError } from "../errors";
import { Prisma } from "../generated/prisma/client.ts";
import { type Cursor, type PageLinks, keysetPage, parseCursor } from "../pagination";
import { parseSearch } from "./search";
import { searchConditions } from "./search-sql";
import { type IssueView, type StatsPeriod, issueViews } from "./views";

/** Sentry's issue sorts, each descending, ties broken by id. */
export const ISSUE_SORTS = ["date", "new", "freq", "user"] as const;
export type IssueSort = (typeof ISSUE_SORTS)[number];

const SORT_COLUMNS: Record<IssueSort, { column: string; date: boolean }> = {
  date: { column: "last_seen", date: true },
  new: { column: "first_seen", date: true },
  freq: { column: "times_seen", date: false },
  user: { column: "user_count", date: false },
};

/** Without a `query` parameter Sentry lists unresolved issues; `query=` (empty) lists all. */
export const DEFAULT_QUERY = "is:unresolved";
export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 100;

export type IssueFilter = {
  /** Only these projects, each of which must be in the viewer's org (else 404). */
  projectIds?: number[];
  query?: string;
  /** Also matches through the environment tag, like `environment:` in the query. */
  environments?: string[];
  /** "24h", "14d", "90d", ...: only issues seen within it. */
  statsPeriod?: string;
};

export type IssueListOptions = IssueFilter & {
  sort?: IssueSort;
  cursor?: string;
  limit?: number;
  /** Which bucket series the rows carry (the list's stats column); null for none. */
  stats?: StatsPeriod | null;
  now?: Date;
};

const PERIOD = /^(\d{1,6})([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "24h" -> milliseconds; 400 for anything else. */
export function parsePeriod(text: string): number {
  const match = PERIOD.exec(text);
  if (!match || Number(match[1]) === 0) throw new AppError("bad_request", `Invalid statsPeriod "${text}"; use e.g. 24h, 14d or 90d`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** One page of the viewer's org's issues matching the filter, in Sentry's sort orders. */
export async function listIssues(
  viewer: Viewer,
  options: IssueListOptions,
): Promise<{ issues: IssueView[]; links: PageLinks }> {
  assertCan(viewer.role, "issues:read");
  const sort = options.sort ?? "date";
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new AppError("bad_request", `limit must be between 1 and ${MAX_LIMIT}`);
  }
  const cursor = parseCursor(options.cursor);
  const now = options.now ?? new Date();
  const where = await filterSql(viewer, options, now);
  const { column, date } = SORT_COLUMNS[sort];
  const sortColumn = Prisma.raw(`i.${column}`);
  // matchingIssueIds (bulk edits) reads the primary: it chooses what a write changes.
  const rows = await (await dbRead(viewer)).$queryRaw<{ id: number; sort_value: Date | number }[]>`
    select i.id, ${sortColumn} as sort_value
    from issues i
    where ${where} ${cursorSql(cursor, sortColumn, date)}
    order by ${sortColumn} ${Prisma.raw(cursor?.prev ? "asc" : "desc")}, i.id ${Prisma.raw(cursor?.prev ? "asc" : "desc")}
    limit ${limit + 1}`;
  const page = keysetPage(rows, limit, cursor, (row) => ({
    value: BigInt(row.sort_value instanceof Date ? row.sort_value.getTime() : row.sort_value),
    key: BigInt(row.id),
  }));
  const issues = await issueViews(
    viewer,
    page.items.map((r) => r.id),
    { stats: options.stats === undefined ? "24h" : options.stats, now },
  );
  return { issues, links: page.links };
}

/** Ids of the viewer's org's issues matching the filter (newest first), at most `max`: bulk edits by query. */
export async function matchingIssueIds(viewer: Viewer, filter: IssueFilter, max: number): Promise<number[]> {
  assertCan(viewer.role, "issues:read");
  const where = await filterSql(viewer, filter, new Date());
  const rows = await db().$queryRaw<{ id: number }[]>`
    select i.id from issues i
    where ${where} order by i.last_seen desc, i.id desc limit ${max}`;
  return rows.map((r) => r.id);
}

async function filterSql(viewer: Viewer, filter: IssueFilter, now: Date): Promise<Prisma.Sql> {
  // The tenant is in the where of every list, whatever else the caller passed. As an array of
  // the org's project ids (not a join) so the planner walks the (project_id, status, last_seen)
  // index of those projects only: a join scanned every tenant's issues (EXPLAIN, 400k issues).
  const conditions: Prisma.Sql[] = [
    Prisma.sql`i.project_id = any(array(select p.id from projects p where p.org_id = ${viewer.orgId}))`,
  ];
  if (filter.projectIds && filter.projectIds.length > 0) {
    const ids = [...new Set(filter.projectIds)];
    const found = await db().project.count({ where: { orgId: viewer.orgId, id: { in: ids } } });
    if (found !== ids.length) throw new AppError("not_found", "no such project");
    conditions.push(Prisma.sql`i.project_id = any(${ids}::int[])`);
  }
  if (filter.statsPeriod) {
    conditions.push(Prisma.sql`i.last_seen >= ${new Date(now.getTime() - parsePeriod(filter.statsPeriod))}`);
  }
  if (filter.environments && filter.environments.length > 0) {
    conditions.push(Prisma.sql`exists (select 1 from issue_tag_values t
      where t.issue_id = i.id and t.key = 'environment' and t.value = any(${filter.environments}::text[]))`);
  }
  const terms = parseSearch(filter.query ?? DEFAULT_QUERY);
  conditions.push(...searchConditions(terms, viewer));
  return Prisma.join(conditions, " and ");
}

const MAX_INT = 2_147_483_647;

/** Rows strictly past the cursor in the direction it points. */
function cursorSql(cursor: Cursor | undefined, column: Prisma.Sql, date: boolean): Prisma.Sql {
  if (!cursor) return Prisma.empty;
  const value = date ? new Date(Number(cursor.value)) : Number(cursor.value);
  const id = Number(cursor.key);
  const valid =
    (date ? !Number.isNaN((value as Date).getTime()) : Math.abs(value as number) <= MAX_INT) && id <= MAX_INT;
  if (!valid) throw new AppError("bad_request", "Invalid cursor");
  return cursor.prev
    ? Prisma.sql`and (${column}, i.id) > (${value}, ${id})`
    : Prisma.sql`and (${column}, i.id) < (${value}, ${id})`;
}
