import { asideSqlRows } from "../../db";
import { type ActionOutcome, unsafeDeliverAction } from "./action";
import { unsafeLoadDelivery } from "./facts";

export type DeliveryRun =
  | { done: "missing" | "already-final" }
  | { done: "sent" | "failed" | "retrying"; outcome: ActionOutcome };

/**
 * One attempt at one alert_deliveries row, as the delivery job makes it. A missing row is a
 * deleted rule (the rows cascade) and sends nothing, as does one whose issue is gone. The row records the attempt: sent,
 * failed for good (a permanent error, or the last attempt), or retrying.
 */
export async function unsafeAttemptDelivery(deliveryId: bigint, lastAttempt: boolean): Promise<DeliveryRun> {
  const delivery = await unsafeLoadDelivery(deliveryId);
  if (!delivery) return { done: "missing" };
  if (delivery.status === "sent" || delivery.status === "failed") return { done: "already-final" };
  if (!delivery.loaded) return { done: "missing" };
  const outcome = await unsafeDeliverAction(delivery.action, delivery.loaded, delivery.secret);
  const status = outcome.ok ? "sent" : outcome.retry && !lastAttempt ? "retrying" : "failed";
  await unsafeRecordAttempt(delivery.id, status, outcome);
  return { done: status, outcome };
}

/** Writes an attempt's result; a row deleted meanwhile (its rule was) is left deleted. */
export async function unsafeRecordAttempt(id: bigint, status: "sent" | "failed" | "retrying", outcome: ActionOutcome): Promise<void> {
  await asideSqlRows`
    update alert_deliveries set status = ${status}, attempts = attempts + 1, last_status = ${outcome.status}::int,
      last_error = ${outcome.error}, last_attempt_at = now(),
      delivered_at = case when ${status} = 'sent' then now() else delivered_at end
    where id = ${String(id)}::bigint`;
}
