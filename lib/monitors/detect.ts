import { enqueueAlertDeliveries } from "../alerts/enqueue";
import { type SqlTx, sqlTransaction } from "../db";
import { logger } from "../logger";
import { markMissedBatch } from "./detect-missed";
import { markTimeoutsBatch } from "./detect-timeouts";
import type { MonitorFailure } from "./detect-types";
import { MonitorIncidents, storeIncidents } from "./incidents";

// The minute job of cron monitors (workers/processors/detect-monitor-failures.ts): missed
// check-ins, then timeouts, across every organization.

const log = logger.child({ service: "monitors" });

/** Environments or check-ins per transaction: locks held briefly, a crash loses one batch's work at most. */
const DETECT_BATCH = 1_000;
/** Batches per pass and run: 1,000,000 rows, a bound that only a bug that re-selects rows reaches. */
const MAX_BATCHES = 1_000;

export type DetectResult = {
  environments: number;
  missed: number;
  timedOut: number;
  /** of the monitors: missed, or timed out with no newer ok/error */
  failures: number;
  batches: number;
  /** alert deliveries queued for the failure issues */
  alerts: number;
};

/**
 * Marks every monitor environment past its deadline as missed (one check-in per expected
 * time, dated at it) and every in-progress check-in past its timeout as timed out, as of
 * `now`, and hands the failures to the incident code in the same transaction.
 *
 * Safe to run on several workers at once: each batch takes its rows `for update skip locked`,
 * so workers split the due rows instead of marking them twice, and a missed check-in's id is
 * derived from its environment and expected time, so a rerun after a crash inserts nothing
 * new. A batch's transaction moves the schedule together with the rows it inserts: a crash
 * leaves the batch undone, to be done by the next run.
 */
export async function unsafeDetectMonitorFailures(
  options: { now?: Date; batchSize?: number } = {},
): Promise<DetectResult> {
  const now = options.now ?? new Date();
  const limit = options.batchSize ?? DETECT_BATCH;
  const result: DetectResult = {
    environments: 0,
    missed: 0,
    timedOut: 0,
    failures: 0,
    batches: 0,
    alerts: 0,
  };

  for (let i = 0; i < MAX_BATCHES; i++) {
    const batch = await sqlTransaction(async (tx) => {
      const found = await markMissedBatch(tx, now, limit);
      return { ...found, deliveries: await handOver(tx, found.failures, now) };
    });
    result.alerts += await queueAlerts(batch.deliveries);
    if (batch.environments === 0) break;
    result.batches++;
    result.environments += batch.environments;
    result.missed += batch.failures.length;
    result.failures += batch.failures.length;
    // A short batch was the last of the due rows this worker could lock.
    if (batch.environments < limit) break;
  }

  for (let i = 0; i < MAX_BATCHES; i++) {
    const batch = await sqlTransaction(async (tx) => {
      const found = await markTimeoutsBatch(tx, now, limit);
      return { ...found, deliveries: await handOver(tx, found.failures, now) };
    });
    result.alerts += await queueAlerts(batch.deliveries);
    // 0: nothing left, or only rows others hold (they are marking them).
    if (batch.marked === 0) break;
    result.batches++;
    result.timedOut += batch.marked;
    result.failures += batch.failures.length;
  }

  if (result.missed > 0 || result.timedOut > 0)
    log.info({ ...result }, "monitor check-ins missed or timed out");
  return result;
}

/**
 * The failures to the incident code (lib/monitors/incidents.ts), project after project in id
 * order, each environment's in time order: it locks the project row and issues (to open or
 * reopen a failure issue), and every worker and drain taking projects in one order after the
 * environments keeps them from deadlocking. Returns the alert deliveries to queue after commit.
 */
async function handOver(tx: SqlTx, failures: MonitorFailure[], now: Date): Promise<string[]> {
  if (failures.length === 0) return [];
  const ordered = [...failures].sort(
    (a, b) =>
      a.environment.projectId - b.environment.projectId ||
      a.environment.id - b.environment.id ||
      a.at.getTime() - b.at.getTime(),
  );
  const projectIds = [...new Set(ordered.map((f) => f.environment.projectId))];
  const projects = await tx.rows<{ id: number; orgId: number; hasFirstEvent: boolean }>`
    select id, org_id as "orgId", first_event_at is not null as "hasFirstEvent"
    from projects where id = any(${projectIds}::int[]) order by id`;
  const deliveries: string[] = [];
  for (const project of projects) {
    const incidents = new MonitorIncidents(project);
    for (const f of ordered) {
      if (f.environment.projectId !== project.id) continue;
      // One object per environment (the batch's row): its counters move with each failure.
      incidents.record(f.environment, f.status, {
        checkInId: f.checkInId,
        at: f.at,
        release: f.release,
        traceId: f.traceId,
      });
    }
    deliveries.push(...(await storeIncidents(tx, project, incidents, now)));
  }
  return deliveries;
}

/** A delivery not queued stays pending; the alerts sweeper (requeue-alert-deliveries) queues it later. */
async function queueAlerts(deliveries: string[]): Promise<number> {
  if (deliveries.length === 0) return 0;
  await enqueueAlertDeliveries(deliveries).catch((error) =>
    log.error({ err: error, deliveries: deliveries.length }, "alert deliveries not queued"),
  );
  return deliveries.length;
}
