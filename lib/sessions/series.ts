import { db } from "../db";
import { Prisma } from "../generated/prisma/client.ts";

// The two reads release health is made of, per interval bucket and group: session counts
// (summed from session_counts' hourly rows) and users (session_users, distinct per bucket and
// over the whole range, each with their worst status). Callers have checked the viewer; the
// project ids must be the org's (unsafeOrgProjectIds gives them).

export type Dimension = "project" | "release" | "environment";
const COLUMN: Record<Dimension, Prisma.Sql> = {
  project: Prisma.sql`project_id`,
  release: Prisma.sql`release`,
  environment: Prisma.sql`environment`,
};

export type SeriesFilter = {
  projectIds: number[];
  start: Date;
  end: Date;
  /** seconds */
  interval: number;
  releases?: string[];
  environments?: string[];
  dimensions: Dimension[];
};

/** The group's dimension values in `dimensions` order, and the bucket (null: the whole range). */
export type SessionRow = { dims: (string | number)[]; bucket: number; started: number; errored: number; crashed: number; abnormal: number };
export type UserRow = { dims: (string | number)[]; bucket: number | null; users: number; errored: number; abnormal: number; crashed: number };

function where(f: SeriesFilter): Prisma.Sql {
  const conditions = [
    Prisma.sql`project_id = any(${f.projectIds}::int[])`,
    Prisma.sql`hour >= ${f.start}`,
    Prisma.sql`hour < ${f.end}`,
  ];
  if (f.releases) conditions.push(Prisma.sql`release = any(${f.releases}::text[])`);
  if (f.environments) conditions.push(Prisma.sql`environment = any(${f.environments}::text[])`);
  return Prisma.join(conditions, " and ");
}

// Buckets count whole intervals since the epoch; an interval divides a day, so they start at
// UTC midnights like Sentry's.
const bucketOf = (f: SeriesFilter) => Prisma.sql`(extract(epoch from hour)::bigint / ${f.interval}::int)::int`;

const dimColumns = (f: SeriesFilter) => f.dimensions.map((d, i) => Prisma.sql`${COLUMN[d]} as ${Prisma.raw(`d${i}`)}`);
const dimNames = (f: SeriesFilter) => f.dimensions.map((_, i) => Prisma.raw(`d${i}`));
const dimsOf = (f: SeriesFilter, row: Record<string, unknown>) => f.dimensions.map((_, i) => row[`d${i}`] as string | number);

/** Session counts per group and bucket (totals are their sums). */
export async function unsafeSessionCounts(f: SeriesFilter): Promise<SessionRow[]> {
  if (f.projectIds.length === 0) return [];
  const groups = [...dimNames(f), Prisma.raw("bucket")];
  const rows = await db().$queryRaw<Record<string, unknown>[]>`
    select ${Prisma.join([...dimColumns(f), Prisma.sql`${bucketOf(f)} as bucket`])},
      sum(started)::float8 as started, sum(errored)::float8 as errored, sum(crashed)::float8 as crashed, sum(abnormal)::float8 as abnormal
    from session_counts
    where ${where(f)}
    group by ${Prisma.join(groups)}`;
  return rows.map((r) => ({
    dims: dimsOf(f, r),
    bucket: r.bucket as number,
    started: r.started as number,
    errored: r.errored as number,
    crashed: r.crashed as number,
    abnormal: r.abnormal as number,
  }));
}

/**
 * Distinct users per group and bucket, and per group over the whole range (bucket null: a user
 * seen in two buckets is one user there), by the worst status each reached (0 healthy,
 * 1 errored, 2 abnormal, 3 crashed). One pass over the rows: grouping sets.
 */
export async function unsafeSessionUsers(f: SeriesFilter): Promise<UserRow[]> {
  if (f.projectIds.length === 0) return [];
  const dims = dimNames(f);
  const perBucket = Prisma.join([...dims, Prisma.raw("bucket"), Prisma.raw("user_hash")]);
  const perRange = Prisma.join([...dims, Prisma.raw("user_hash")]);
  const outer = Prisma.join([...dims, Prisma.raw("bucket")]);
  const rows = await db().$queryRaw<Record<string, unknown>[]>`
    select ${Prisma.join([...dims, Prisma.raw("bucket")])}, count(*)::int as users,
      (count(*) filter (where worst = 1))::int as errored, (count(*) filter (where worst = 2))::int as abnormal,
      (count(*) filter (where worst = 3))::int as crashed
    from (
      select ${Prisma.join([...dimColumns(f), Prisma.sql`${bucketOf(f)} as bucket`, Prisma.sql`user_hash`])}, max(worst_status) as worst
      from session_users
      where ${where(f)}
      group by grouping sets ((${perBucket}), (${perRange}))) u
    group by ${outer}`;
  return rows.map((r) => ({
    dims: dimsOf(f, r),
    bucket: r.bucket as number | null,
    users: r.users as number,
    errored: r.errored as number,
    abnormal: r.abnormal as number,
    crashed: r.crashed as number,
  }));
}
