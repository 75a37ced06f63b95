import { deleteInBatches } from "../delete-in-batches";
import { db } from "../db";
import { Prisma } from "../generated/prisma/client.ts";
import { EVENTS, type PartitionedTable, TRANSACTIONS, unsafeDropPartitions } from "../partitions";
import { billingEnabled, PLANS, retentionPlan } from "./plans";

// Retention by plan: events and transactions go by whole weekly partitions once past the longest
// retention of any plan (lib/partitions.ts), and before that by rows only for orgs whose plan
// keeps less (README "Event storage: partitions" weighs this against a read filter). Attachments,
// feedback, check-ins and issues older than the org's plan keeps are deleted, and
// so are the transactions' hourly and daily stats and error counts whose whole hour or day is
// older, in bounded batches (short transactions, no long locks), a capped number per org and run;
// the next run carries on. Transaction groups stay: one row per name, and a group deleted while a
// batch stores its first transaction in a year would fail that batch's foreign key. Deleting is idempotent, so a rerun or a crash halfway is safe.
// Self-hosted (billing off) keeps everything.

const DAY = 86_400_000;
const HOUR = 3_600_000;

// Tables whose rows go by their own age, each with its age column and the run's counter. An
// attachment goes by its own age: its event may go before a late attachment arrives.
const AGED_TABLES = [
  ["event_attachments", "created_at", "attachments"],
  ["feedback", "created_at", "feedback"],
  ["check_ins", "created_at", "checkIns"],
] as const;
const STRIPE_EVENTS_KEPT_DAYS = 30;
// Partitioned tables whose rows an org on a shorter plan loses before their week is dropped.
const PARTITIONED_COUNTERS: [PartitionedTable, "events" | "transactions"][] = [
  [EVENTS, "events"],
  [TRANSACTIONS, "transactions"],
];
// Stats tables keyed by (resolution, bucket): each with its key columns and the run's counter.
const BUCKETED_TABLES = [
  ["transaction_stats", "group_id, resolution, bucket, environment, release", "transactionStats"],
  ["transaction_error_stats", "project_id, resolution, bucket, name, environment, release", "transactionErrorStats"],
] as const;

// No plan keeps events or transactions longer: whole partitions past it are dropped.
export const PARTITION_HORIZON_DAYS = Math.max(...Object.values(PLANS).map((plan) => plan.retentionDays));

export type RetentionRun = {
  orgs: number;
  /** event rows deleted: of orgs keeping less than the horizon, and from the default partition */
  events: number;
  /** weekly partitions of events dropped whole */
  eventPartitions: number;
  /** dedupe keys of dropped events deleted */
  eventIds: number;
  issues: number;
  /** transaction rows deleted: of orgs keeping less than the horizon, and from the default partition */
  transactions: number;
  /** weekly partitions of transactions dropped whole */
  transactionPartitions: number;
  /** dedupe keys of dropped transactions deleted */
  transactionIds: number;
  transactionStats: number;
  transactionErrorStats: number;
  hourlyCounts: number;
  attachments: number;
  feedback: number;
  checkIns: number;
  more: boolean;
};

export async function unsafeEnforceRetention(options: { now?: number; batchSize?: number; maxBatches?: number } = {}): Promise<RetentionRun> {
  const now = options.now ?? Date.now();
  const batch = options.batchSize ?? 1000;
  const maxBatches = options.maxBatches ?? 20;
  const run: RetentionRun = {
    orgs: 0,
    events: 0,
    eventPartitions: 0,
    eventIds: 0,
    issues: 0,
    transactions: 0,
    transactionPartitions: 0,
    transactionIds: 0,
    transactionStats: 0,
    transactionErrorStats: 0,
    hourlyCounts: 0,
    attachments: 0,
    feedback: 0,
    checkIns: 0,
    more: false,
  };
  await db().stripeEvent.deleteMany({ where: { processedAt: { lt: new Date(now - STRIPE_EVENTS_KEPT_DAYS * DAY) } } });
  if (!billingEnabled()) return run;
  const horizon = new Date(now - PARTITION_HORIZON_DAYS * DAY);
  const events = await unsafeDropPartitions(EVENTS, horizon, { batch, maxBatches });
  run.eventPartitions = events.partitions.length;
  run.eventIds = events.ids;
  run.events = events.defaultRows;
  const transactions = await unsafeDropPartitions(TRANSACTIONS, horizon, { batch, maxBatches });
  run.transactionPartitions = transactions.partitions.length;
  run.transactionIds = transactions.ids;
  run.transactions = transactions.defaultRows;
  run.more = events.more || transactions.more;

  let after = 0;
  for (;;) {
    const orgs = await db().organization.findMany({
      where: { id: { gt: after } },
      orderBy: { id: "asc" },
      take: 500,
      select: { id: true, plan: true, projects: { select: { id: true } } },
    });
    if (orgs.length === 0) break;
    after = orgs.at(-1)!.id;
    for (const org of orgs) {
      const projects = org.projects.map((p) => p.id);
      if (projects.length === 0) continue;
      run.orgs++;
      const cutoff = new Date(now - retentionPlan(org).retentionDays * DAY);
      // Each statement deletes at most `batch` rows; it repeats until a short batch says done.
      const sweep = async (remove: () => Promise<number>) => {
        const swept = await deleteInBatches(remove, batch, maxBatches);
        run.more ||= swept.more;
        return swept.deleted;
      };
      // Received before the cutoff: the partitions after it are not even looked at.
      if (retentionPlan(org).retentionDays < PARTITION_HORIZON_DAYS) {
        for (const [{ table }, counter] of PARTITIONED_COUNTERS) {
          run[counter] += await sweep(
            () => db().$executeRaw`
              delete from ${Prisma.raw(table)} where received_at < ${cutoff} and (id, received_at) in (
                select id, received_at from ${Prisma.raw(table)}
                where project_id = any(${projects}::int[]) and received_at < ${cutoff} limit ${batch})`,
          );
        }
      }
      for (const [table, ageColumn, counter] of AGED_TABLES) {
        run[counter] += await sweep(
          () => db().$executeRaw`
            delete from ${Prisma.raw(table)} where id in (
              select id from ${Prisma.raw(table)}
              where project_id = any(${projects}::int[]) and ${Prisma.raw(ageColumn)} < ${cutoff} limit ${batch})`,
        );
      }
      // A bucket goes once all of it is past the cutoff: an hour row at cutoff - 1 h, a day row
      // at cutoff - 1 day, so a day's figures never lose the hours still kept.
      for (const [table, key, counter] of BUCKETED_TABLES) {
        run[counter] += await sweep(
          () => db().$executeRaw`
            delete from ${Prisma.raw(table)} where (${Prisma.raw(key)}) in (
              select ${Prisma.raw(key)} from ${Prisma.raw(table)}
              where project_id = any(${projects}::int[])
                and ((resolution = 'h' and bucket <= ${new Date(cutoff.getTime() - HOUR)})
                  or (resolution = 'd' and bucket <= ${new Date(cutoff.getTime() - DAY)}))
              limit ${batch})`,
        );
      }
      // An issue not seen within the retention goes with its counters (hashes, hourly counts,
      // tag values, users, activity: cascades); a live issue loses only its old hourly counts.
      run.issues += await sweep(
        () => db().$executeRaw`
          delete from issues where id in (
            select id from issues where project_id = any(${projects}::int[]) and last_seen < ${cutoff} limit ${batch})`,
      );
      run.hourlyCounts += await sweep(
        () => db().$executeRaw`
          delete from issue_hourly_counts where (issue_id, hour) in (
            select h.issue_id, h.hour from issue_hourly_counts h join issues i on i.id = h.issue_id
            where i.project_id = any(${projects}::int[]) and h.hour < ${cutoff} limit ${batch})`,
      );
    }
  }
  return run;
}
