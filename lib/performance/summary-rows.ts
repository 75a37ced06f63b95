import { sqlRows } from "../db";
import { copyRows } from "../sql-copy";
import { escapeLike } from "../issues/search-sql";
import type { StatsPeriod } from "./summary-period";

// The SQL behind the transactions list: the worker's stats rows of some buckets, read through
// the (project_id, resolution, bucket) index for a whole org's list, or the primary key for a
// few groups. Raw `pg` rows rather than Prisma's: a list sorted by p95 reads tens of thousands
// of rows with their sketches, and Prisma's per-value conversion would cost more than the query.
// Optional filters are `($n is null or ...)`: each statement is planned with its values, so an
// absent filter folds away. Callers pass project ids they have checked are the viewer's org's.

export type StatsFilter = {
  /** the org's projects to read (checked by the caller) */
  projectIds: number[];
  period: StatsPeriod;
  environment: string | null;
  release: string | null;
};

/** One stats row; `sketch` is the stored sketch's bytes (lib/performance/sketch-bytes.ts). */
export type StatsRow = {
  groupId: string;
  bucket: Date;
  count: number;
  failures: number;
  durationSum: number;
  sketch: Buffer;
};
/** One stats row of a unit: `unit` is the unit's position in the list asked for. */
export type UnitRow = Omit<StatsRow, "bucket"> & { unit: number };
export type GroupMeta = { groupId: string; projectId: number; name: string; op: string; method: string };

/** The period's stats rows of these groups, with their sketches. */
export async function unsafeStatsRows(filter: StatsFilter, groupIds: string[]): Promise<StatsRow[]> {
  const { projectIds: ids, period, environment: env, release: rel } = filter;
  return sqlRows<StatsRow>`
    select s.group_id::text as "groupId", s.bucket, s.count, s.failures, s.duration_sum as "durationSum",
      s.sketch
    from transaction_stats s
    where s.group_id = any(${groupIds}::bigint[]) and s.project_id = any(${ids}::int[])
      and s.resolution = ${period.resolution} and s.bucket >= ${period.start} and s.bucket < ${period.end}
      and (${env}::text is null or s.environment = ${env}) and (${rel}::text is null or s.release = ${rel})`;
}

/**
 * Every stats row of these (project, resolution, bucket) units, for an environment and release
 * (any when null): one buffer per unit (by position in `units`), its rows in group id order,
 * each laid out as readPackedRows reads it. Packed in PostgreSQL: a list sorted by p95 reads
 * ~55,000 rows with their sketches (npm run bench:performance-list), and one value per unit
 * spares `pg` building a row object of six parsed values for each (24h: 58,000 rows 280-405 ms
 * as rows, 76-225 ms packed, on a loaded machine). Read by binary COPY (lib/sql-copy.ts), as
 * bytes: as base64 text, decoding it was a quarter of a cold 14-day list's CPU. Each unit is an
 * index scan of its own, as unsafeUnitTotals does (joined flat, the whole table is scanned).
 */
export async function unsafePackedUnitRows(
  units: Unit[],
  filter: { environment: string | null; release: string | null },
): Promise<Buffer[]> {
  const out: Buffer[] = units.map(() => EMPTY);
  if (units.length === 0) return out;
  const { environment: env, release: rel } = filter;
  const rows = await copyRows`
    select u.i::int4 - 1 as unit, s.packed
    from unnest(${units.map((u) => u.projectId)}::int[], ${units.map((u) => u.resolution)}::bpchar[],
      ${units.map((u) => new Date(u.bucket).toISOString())}::timestamptz[]) with ordinality u(project_id, resolution, bucket, i)
    cross join lateral (
      select string_agg(int8send(s.group_id) || int4send(s.count) || int4send(s.failures) || float8send(s.duration_sum)
          || int4send(length(s.sketch)) || s.sketch, ''::bytea order by s.group_id) as packed
      from transaction_stats s
      where s.project_id = u.project_id and s.resolution = u.resolution and s.bucket = u.bucket
        and (${env}::text is null or s.environment = ${env}) and (${rel}::text is null or s.release = ${rel})) s`;
  for (const [unit, packed] of rows) if (unit && packed) out[unit.readInt32BE(0)] = packed;
  return out;
}

const EMPTY = Buffer.alloc(0);
/** Bytes of a packed row before its sketch: group id, count, failures, duration sum, sketch length. */
const ROW_HEAD = 8 + 4 + 4 + 8 + 4;

/** One row of a packed unit: its sketch is `packed` from sketchStart (inclusive) to sketchEnd. */
export type PackedRowFn = (
  groupId: number,
  count: number,
  failures: number,
  durationSum: number,
  sketchStart: number,
  sketchEnd: number,
) => void;

/** Calls `fn` with each row of a unit packed by unsafePackedUnitRows, in order. */
export function readPackedRows(packed: Buffer, fn: PackedRowFn): void {
  for (let at = 0; at + ROW_HEAD <= packed.length; ) {
    // transaction_groups ids are a bigserial, far within a double's exact integers
    const groupId = packed.readUInt32BE(at) * 2 ** 32 + packed.readUInt32BE(at + 4);
    const length = packed.readInt32BE(at + 24);
    const sketchStart = at + ROW_HEAD;
    fn(
      groupId,
      packed.readInt32BE(at + 8),
      packed.readInt32BE(at + 12),
      packed.readDoubleBE(at + 16),
      sketchStart,
      sketchStart + length,
    );
    at = sketchStart + length;
  }
}

type Unit = { projectId: number; resolution: string; bucket: number };
export type GroupTotals = {
  groupId: string;
  projectId: number;
  count: number;
  failures: number;
  durationSum: number;
};

/**
 * Every group's count, failures and duration sum over these units, summed in PostgreSQL: what
 * a list sorted by anything but p95 ranks on, without writing a sketch out as text. Each unit
 * is an index scan of its own (`offset 0` keeps the planner from flattening the lateral
 * subquery): joined flat, it estimates a few rows and scans the whole table instead.
 */
export async function unsafeUnitTotals(
  units: Unit[],
  filter: { environment: string | null; release: string | null },
): Promise<GroupTotals[]> {
  if (units.length === 0) return [];
  const { environment: env, release: rel } = filter;
  return sqlRows<GroupTotals>`
    select s.group_id::text as "groupId", min(s.project_id) as "projectId", sum(s.count)::float8 as count,
      sum(s.failures)::float8 as failures, sum(s.duration_sum)::float8 as "durationSum"
    from unnest(${units.map((u) => u.projectId)}::int[], ${units.map((u) => u.resolution)}::bpchar[],
      ${units.map((u) => new Date(u.bucket).toISOString())}::timestamptz[]) u(project_id, resolution, bucket)
    cross join lateral (
      select s.group_id, s.project_id, s.count, s.failures, s.duration_sum from transaction_stats s
      where s.project_id = u.project_id and s.resolution = u.resolution and s.bucket = u.bucket
        and (${env}::text is null or s.environment = ${env}) and (${rel}::text is null or s.release = ${rel})
      offset 0) s
    group by s.group_id`;
}

/**
 * The stats rows of a few groups in these units (each group's in its own project's units
 * only), through the primary key. A row says its unit by its position in `units` (0-based).
 */
export async function unsafeGroupUnitRows(
  groups: { groupId: number; projectId: number }[],
  units: Unit[],
  filter: { environment: string | null; release: string | null },
): Promise<UnitRow[]> {
  if (groups.length === 0 || units.length === 0) return [];
  const { environment: env, release: rel } = filter;
  return sqlRows<UnitRow>`
    select u.i::int - 1 as unit, s.group_id::text as "groupId", s.count, s.failures, s.duration_sum as "durationSum",
      s.sketch
    from unnest(${groups.map((g) => String(g.groupId))}::bigint[], ${groups.map((g) => g.projectId)}::int[]) g(id, project_id)
    join unnest(${units.map((u) => u.projectId)}::int[], ${units.map((u) => u.resolution)}::bpchar[],
      ${units.map((u) => new Date(u.bucket).toISOString())}::timestamptz[]) with ordinality u(project_id, resolution, bucket, i)
      on u.project_id = g.project_id
    join transaction_stats s on s.group_id = g.id and s.resolution = u.resolution and s.bucket = u.bucket
      and s.project_id = u.project_id
    where (${env}::text is null or s.environment = ${env}) and (${rel}::text is null or s.release = ${rel})`;
}

/** The ids of the groups of these projects whose name contains `text`, case-insensitive. */
export async function unsafeGroupIdsNamed(projectIds: number[], text: string): Promise<Set<string>> {
  const rows = await sqlRows<{ id: string }>`
    select g.id::text as id from transaction_groups g
    where g.project_id = any(${projectIds}::int[]) and g.name ilike ${`%${escapeLike(text)}%`}`;
  return new Set(rows.map((r) => r.id));
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
  filter: StatsFilter,
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
