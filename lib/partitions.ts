import { deleteInBatches } from "./delete-in-batches";
import { db } from "./db";
import { Prisma } from "./generated/prisma/client.ts";

// events and transactions are partitioned by week of received_at (migrations
// 20261205022400_events_partitioned and 20261205060000_transactions_partitioned say why weekly
// and why received_at). A table's partitions are named <table>_YYYYMMDD after the Monday (UTC)
// they start on; <table>_legacy (the table as it was before partitioning, everything before its
// bound) and <table>_default (rows outside every week made so far) are the others.

/** A table partitioned by week, and the table of its (project_id, event_id) dedupe keys. */
export type PartitionedTable = { table: "events" | "transactions"; idsTable: "event_ids" | "transaction_ids" };
export const EVENTS: PartitionedTable = { table: "events", idsTable: "event_ids" };
export const TRANSACTIONS: PartitionedTable = { table: "transactions", idsTable: "transaction_ids" };
export const PARTITIONED_TABLES = [EVENTS, TRANSACTIONS] as const;

const DAY = 86_400_000;
export const WEEK = 7 * DAY;
/** Weeks made ahead of the current one: the job may be down for a week and inserts still land in a week of their own. */
export const WEEKS_AHEAD = 2;
// Attaching or dropping a week locks the table and its default partition exclusively (a moment:
// no rows are scanned), so it first waits for the transactions using the table and, while it
// waits, queues every insert and read behind it. At most this long: then it gives up until the
// next run rather than stall batches and pages on one long read.
const LOCK_TIMEOUT = "2s";

export type Partition = {
  name: string;
  /** null: from MINVALUE (the legacy partition) */
  from: Date | null;
  /** null: to MAXVALUE */
  to: Date | null;
  isDefault: boolean;
};

/** Monday 00:00 UTC of the week holding `at`. */
export function weekStart(at: number): number {
  const day = Math.floor(at / DAY) * DAY;
  // 1970-01-01 was a Thursday: Monday is 3 days before it.
  return day - (((day / DAY + 3) % 7) * DAY);
}

export function partitionName({ table }: PartitionedTable, start: number): string {
  return `${table}_${new Date(start).toISOString().slice(0, 10).replaceAll("-", "")}`;
}

/** The table's partitions with their bounds, oldest first, the default partition last. */
export async function listPartitions({ table }: PartitionedTable): Promise<Partition[]> {
  const rows = await db().$queryRaw<{ name: string; from: Date | null; to: Date | null; is_default: boolean }[]>`
    select name,
           (regexp_match(bound, 'FROM [(]''([^'']*)''[)]'))[1]::timestamptz as "from",
           (regexp_match(bound, 'TO [(]''([^'']*)''[)]'))[1]::timestamptz as "to",
           bound = 'DEFAULT' as is_default
    from (select c.relname::text as name, pg_get_expr(c.relpartbound, c.oid) as bound
          from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent = ${`public.${table}`}::regclass) p
    order by is_default, "from" nulls first`;
  return rows.map((r) => ({ name: r.name, from: r.from, to: r.to, isDefault: r.is_default }));
}

/**
 * Makes the table's weekly partitions of the current week and the WEEKS_AHEAD after it that do
 * not exist yet (idempotent; a week some partition already covers is left alone). Each is made
 * apart from the table and then attached, which locks it far less than CREATE TABLE ...
 * PARTITION OF would; rows the default partition holds for that week move into it first, so
 * the attach never fails on them. Returns the names made.
 */
export async function unsafeCreatePartitions(
  partitioned: PartitionedTable,
  options: { now?: number; weeksAhead?: number } = {},
): Promise<string[]> {
  const now = options.now ?? Date.now();
  const weeksAhead = options.weeksAhead ?? WEEKS_AHEAD;
  const existing = await listPartitions(partitioned);
  const covered = (at: number) =>
    existing.some((p) => !p.isDefault && (p.from === null || p.from.getTime() <= at) && (p.to === null || at < p.to.getTime()));
  const made: string[] = [];
  for (let i = 0; i <= weeksAhead; i++) {
    const start = weekStart(now) + i * WEEK;
    const end = start + WEEK;
    if (covered(start) || covered(end - 1)) continue;
    await createWeek(partitioned, start, end);
    made.push(partitionName(partitioned, start));
  }
  return made;
}

async function createWeek(partitioned: PartitionedTable, start: number, end: number): Promise<void> {
  const { table } = partitioned;
  const name = partitionName(partitioned, start);
  const from = new Date(start).toISOString();
  const to = new Date(end).toISOString();
  await db().$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
    // Indexes, defaults and column compression as the parent's; foreign keys come with the attach.
    await tx.$executeRawUnsafe(`create table "${name}" (like ${table} including all)`);
    await tx.$executeRawUnsafe(`
      with moved as (delete from ${table}_default where received_at >= '${from}' and received_at < '${to}' returning *)
      insert into "${name}" select * from moved`);
    await tx.$executeRawUnsafe(`alter table ${table} attach partition "${name}" for values from ('${from}') to ('${to}')`);
  });
}

/**
 * Drops every partition of the table whose whole range is older than `horizon` (nothing in it is
 * kept by any plan), then deletes the dedupe keys of the rows dropped and the default
 * partition's rows older than the horizon, `batch` rows a statement. A partition whose lock is
 * not granted within LOCK_TIMEOUT stays for the next run. Returns what went.
 */
export async function unsafeDropPartitions(
  partitioned: PartitionedTable,
  horizon: Date,
  options: { batch?: number; maxBatches?: number } = {},
): Promise<{ partitions: string[]; ids: number; defaultRows: number; more: boolean }> {
  const { table, idsTable } = partitioned;
  const batch = options.batch ?? 10_000;
  const maxBatches = options.maxBatches ?? 20;
  const partitions: string[] = [];
  for (const p of await listPartitions(partitioned)) {
    if (p.isDefault || p.to === null || p.to > horizon) continue;
    const dropped = await db()
      .$transaction(async (tx) => {
        await tx.$executeRawUnsafe(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
        await tx.$executeRawUnsafe(`drop table "${p.name}"`);
        return true;
      })
      .catch((error: unknown) => {
        if (isLockTimeout(error)) return false;
        throw error;
      });
    if (dropped) partitions.push(p.name);
  }
  // A dedupe key goes once no partition could still hold its row: before the oldest remaining
  // week (the legacy partition, from MINVALUE, keeps them all while it stays).
  const remaining = (await listPartitions(partitioned)).filter((p) => !p.isDefault);
  const oldest = remaining[0];
  const keysBefore =
    oldest === undefined ? horizon : oldest.from === null ? null : new Date(Math.min(oldest.from.getTime(), horizon.getTime()));
  let more = false;
  const sweep = async (remove: () => Promise<number>) => {
    const swept = await deleteInBatches(remove, batch, maxBatches);
    more ||= swept.more;
    return swept.deleted;
  };
  const ids =
    keysBefore === null
      ? 0
      : await sweep(
          () => db().$executeRaw`
            delete from ${Prisma.raw(idsTable)} where (project_id, event_id) in (
              select project_id, event_id from ${Prisma.raw(idsTable)} where received_at < ${keysBefore} limit ${batch})`,
        );
  const defaultPartition = Prisma.raw(`${table}_default`);
  const defaultRows = await sweep(
    () => db().$executeRaw`
      delete from ${defaultPartition} where ctid in (select ctid from ${defaultPartition} where received_at < ${horizon} limit ${batch})`,
  );
  return { partitions, ids, defaultRows, more };
}

function isLockTimeout(error: unknown): boolean {
  // 55P03 lock_not_available, as Prisma passes the driver's error on
  const text = error instanceof Error ? `${error.message} ${JSON.stringify(error)}` : String(error);
  return text.includes("55P03") || text.includes("lock timeout");
}
