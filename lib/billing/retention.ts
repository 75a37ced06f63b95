import { db } from "../db";
import { billingEnabled, retentionPlan } from "./plans";

// Retention by plan: events, transactions, attachments, feedback, check-ins and issues older
// than the org's plan keeps are
// deleted in bounded batches (short transactions, no long locks), a capped number per org and
// run; the next run carries on. Deleting is idempotent, so a rerun or a crash halfway is safe.
// Self-hosted (billing off) keeps everything.

const DAY = 86_400_000;
const STRIPE_EVENTS_KEPT_DAYS = 30;

export type RetentionRun = {
  orgs: number;
  events: number;
  issues: number;
  transactions: number;
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
  const run: RetentionRun = { orgs: 0, events: 0, issues: 0, transactions: 0, hourlyCounts: 0, attachments: 0, feedback: 0, checkIns: 0, more: false };
  await db().stripeEvent.deleteMany({ where: { processedAt: { lt: new Date(now - STRIPE_EVENTS_KEPT_DAYS * DAY) } } });
  if (!billingEnabled()) return run;

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
        let total = 0;
        for (let i = 0; i < maxBatches; i++) {
          const n = await remove();
          total += n;
          if (n < batch) return total;
        }
        run.more = true;
        return total;
      };
      run.events += await sweep(
        () => db().$executeRaw`
          delete from events where id in (
            select id from events where project_id = any(${projects}::int[]) and received_at < ${cutoff} limit ${batch})`,
      );
      run.transactions += await sweep(
        () => db().$executeRaw`
          delete from transactions where id in (
            select id from transactions where project_id = any(${projects}::int[]) and timestamp < ${cutoff} limit ${batch})`,
      );
      // Attachments are kept by their own age (an event may go before its late attachment).
      run.attachments += await sweep(
        () => db().$executeRaw`
          delete from event_attachments where id in (
            select id from event_attachments where project_id = any(${projects}::int[]) and created_at < ${cutoff} limit ${batch})`,
      );
      run.feedback += await sweep(
        () => db().$executeRaw`
          delete from feedback where id in (
            select id from feedback where project_id = any(${projects}::int[]) and created_at < ${cutoff} limit ${batch})`,
      );
      run.checkIns += await sweep(
        () => db().$executeRaw`
          delete from check_ins where id in (
            select id from check_ins where project_id = any(${projects}::int[]) and created_at < ${cutoff} limit ${batch})`,
      );
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
