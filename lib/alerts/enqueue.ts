import { queue } from "../queues";

export const DELIVER_ALERT_JOB = "deliver-alert";

/** The backoff type of delivery jobs: the worker's backoffStrategy maps it to RETRY_DELAYS_MS. */
export const ALERT_BACKOFF = "alert-delivery";

// After each failed attempt, the wait before the next: the first retry comes quickly (a
// receiver's blip), later ones spread out, and the last comes about a day after the first try.
export const RETRY_DELAYS_MS = [10, 30, 120, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 28_800].map((s) => s * 1000);
export const ALERT_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** The wait after `attemptsMade` failed attempts (BullMQ counts the one that just failed). */
export function alertRetryDelay(attemptsMade: number): number {
  return RETRY_DELAYS_MS[Math.min(Math.max(attemptsMade, 1), RETRY_DELAYS_MS.length) - 1]!;
}

/**
 * Queues one delivery job per alert_deliveries row (the payload is the row's id only). The job
 * id is derived from the row, so queueing a delivery again while its job exists is a no-op:
 * the sweeper that re-queues deliveries left pending by a crash relies on that.
 */
export async function enqueueAlertDeliveries(deliveryIds: readonly (bigint | number | string)[]): Promise<void> {
  if (deliveryIds.length === 0) return;
  await queue("alerts").addBulk(
    deliveryIds.map((id) => ({
      name: DELIVER_ALERT_JOB,
      data: { deliveryId: String(id) },
      opts: { jobId: `alert-${id}`, attempts: ALERT_ATTEMPTS, backoff: { type: ALERT_BACKOFF } },
    })),
  );
}
