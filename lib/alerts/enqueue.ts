import { queue } from "../queues";

export const DELIVER_ALERT_JOB = "deliver-alert";

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
      opts: { jobId: `alert-${id}` },
    })),
  );
}
