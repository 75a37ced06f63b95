import { sqlRows } from "../db";
import { escapeLike } from "../issues/search-sql";
import type { StatsPeriod } from "./summary-period";

// The SQL behind the transactions list: the worker's stats rows of a period, read through the
// (project_id, resolution, bucket) index for a whole org's list, or the primary key for a few
// groups. Raw `pg` rows rather than Prisma's: a list sorted by p95 reads tens of thousands of
// rows with their sketches, and Prisma's per-value conversion would cost more than the query.
// Optional filters are `($n is null or ...)`: each statement is planned with its values, so an
// absent filter folds away. Callers pass project ids they have checked are the viewer's org's.

export type StatsFilter = {
  /** the org's projects to read (checked by the caller) */
  projectIds: number[];
  period: StatsPeriod;
  environment: string | null;
  release: string | null;
  /** only groups whose name contains this, case-insensitive */
  nameContains: string | null;
};

export type GroupTotals = { groupId: string; count: number; failures: number; durationSum: number };
/** One stats row; `sketch` is the stored sketch as jsonb's text (read with mergeSketchText). */
export type StatsRow = GroupTotals & { bucket: Date; sketch: string };
export type GroupMeta = { groupId: string; projectId: number; name: string; op: string; method: string };

const pattern = (filter: StatsFilter) => (filter.nameContains === null ? null : `%${escapeLike(filter.nameContains)}%`);

/** Count, failures and duration sum per group with transactions in the period. */
export async function unsafeGroupTotals(filter: StatsFilter): Promise<GroupTotals[]> {
  const { projectIds: ids, period, environment: env, release: rel } = filter;
  const like = pattern(filter);
  return sqlRows<GroupTotals>`
    select s.group_id::text as "groupId", sum(s.count)::float8 as count, sum(s.failures)::float8 as failures,
      sum(s.duration_sum) as "durationSum"
    from transaction_stats s
    where s.project_id = any(${ids}::int[]) and s.resolution = ${period.resolution}
      and s.bucket >= ${period.start} and s.bucket < ${period.end}
      and (${env}::text is null or s.environment = ${env}) and (${rel}::text is null or s.release = ${rel})
      and (${like}::text is null or s.group_id in (select g.id from transaction_groups g
        where g.project_id = any(${ids}::int[]) and g.name ilike ${like}))
    group by s.group_id`;
}

/** The period's stats rows with their sketches: of `groupIds` only, or of every group (null). */
export async function unsafeStatsRows(filter: StatsFilter, groupIds: string[] | null): Promise<StatsRow[]> {
  const { projectIds: ids, period, environment: env, release: rel } = filter;
  const like = pattern(filter);
  return sqlRows<StatsRow>`
    select s.group_id::text as "groupId", s.bucket, s.count, s.failures, s.duration_sum as "durationSum",
      s.sketch::text as sketch
    from transaction_stats s
    where s.project_id = any(${ids}::int[]) and s.resolution = ${period.resolution}
      and s.bucket >= ${period.start} and s.bucket < ${period.end}
      and (${groupIds}::bigint[] is null or s.group_id = any(${groupIds}::bigint[]))
      and (${env}::text is null or s.environment = ${env}) and (${rel}::text is null or s.release = ${rel})
      and (${like}::text is null or s.group_id in (select g.id from transaction_groups g
        where g.project_id = any(${ids}::int[]) and g.name ilike ${like}))`;
}

/** Groups by id, in the org's projects only (a foreign id is simply absent). */
export async function unsafeGroupsById(orgId: number, groupIds: string[]): Promise<GroupMeta[]> {
  if (groupIds.length === 0) return [];
  return sqlRows<GroupMeta>`
    select g.id::text as "groupId", g.project_id as "projectId", g.name, g.op, g.method
    from transaction_groups g join projects p on p.id = g.project_id
    where g.id = any(${groupIds}::bigint[]) and p.org_id = ${orgId}`;
}

/** A project's groups of one name (of one op and method when given) in the org. */
export async function unsafeGroupsByName(
  orgId: number,
  ref: { projectId: number; transaction: string; op: string | null; method: string | null },
): Promise<GroupMeta[]> {
  return sqlRows<GroupMeta>`
    select g.id::text as "groupId", g.project_id as "projectId", g.name, g.op, g.method
    from transaction_groups g join projects p on p.id = g.project_id
    where g.project_id = ${ref.projectId} and p.org_id = ${orgId} and g.name = ${ref.transaction}
      and (${ref.op}::text is null or g.op = ${ref.op}) and (${ref.method}::text is null or g.method = ${ref.method})
    order by g.id`;
}

/**
 * Error events per (project, transaction name) in the period, for these names: the errors
 * whose `transaction` is the name (of any op and method: errors do not say theirs).
 */
export async function unsafeErrorCounts(
  filter: Omit<StatsFilter, "nameContains">,
  names: { projectId: number; name: string }[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const unique = [...new Map(names.map((n) => [errorKey(n.projectId, n.name), n])).values()];
  if (unique.length === 0) return out;
  const { period, environment: env, release: rel } = filter;
  const rows = await sqlRows<{ projectId: number; name: string; count: number }>`
    select e.project_id as "projectId", e.name, sum(e.count)::float8 as count
    from transaction_error_stats e
    join unnest(${unique.map((n) => n.projectId)}::int[], ${unique.map((n) => n.name)}::text[]) w(project_id, name)
      on e.project_id = w.project_id and e.name = w.name
    where e.project_id = any(${filter.projectIds}::int[]) and e.resolution = ${period.resolution}
      and e.bucket >= ${period.start} and e.bucket < ${period.end}
      and (${env}::text is null or e.environment = ${env}) and (${rel}::text is null or e.release = ${rel})
    group by e.project_id, e.name`;
  for (const r of rows) out.set(errorKey(r.projectId, r.name), r.count);
  return out;
}

export const errorKey = (projectId: number, name: string) => `${projectId}\n${name}`;
