import { asideSqlRows } from "../../db";
import type { Action } from "../catalog";
import { type ActionOutcome, unsafeDeliverAction } from "./action";
import { unsafeLoadAlertFacts } from "./facts";

export type DeliveryRun =
  | { done: "missing" | "already-final" }
  | { done: "sent" | "failed" | "retrying"; outcome: ActionOutcome };

/**
 * One attempt at one alert_deliveries row, as the delivery job makes it. A missing row is a
 * deleted rule (the rows cascade) and sends nothing. The row records the attempt: sent,
 * failed for good (a permanent error, or the last attempt), or retrying.
 */
export async function unsafeAttemptDelivery(deliveryId: bigint, lastAttempt: boolean): Promise<DeliveryRun> {
  const [row] = await asideSqlRows<DeliveryRow>`
    select d.id, d.issue_id, d.event_id, d.action, d.test, d.status, r.id as rule_id, r.name as rule_name, r.secret, r.project_id
    from alert_deliveries d join alert_rules r on r.id = d.rule_id
    where d.id = ${String(deliveryId)}::bigint`;
  if (!row) return { done: "missing" };
  if (row.status === "sent" || row.status === "failed") return { done: "already-final" };
  const loaded = await unsafeLoadAlertFacts({
    projectId: row.project_id,
    rule: { id: row.rule_id, name: row.rule_name },
    issueId: row.issue_id,
    eventId: row.event_id,
    test: row.test,
  });
  if (!loaded) return { done: "missing" };
  const outcome = await unsafeDeliverAction(row.action as Action, loaded, row.secret);
  const status = outcome.ok ? "sent" : outcome.retry && !lastAttempt ? "retrying" : "failed";
  await unsafeRecordAttempt(BigInt(row.id), status, outcome);
  return { done: status, outcome };
}

type DeliveryRow = {
  // bigint ids arrive from pg as strings
  id: string;
  issue_id: number | null;
  event_id: string | null;
  action: unknown;
  test: boolean;
  status: string;
  rule_id: number;
  rule_name: string;
  secret: string | null;
  project_id: number;
};

/** Writes an attempt's result; a row deleted meanwhile (its rule was) is left deleted. */
export async function unsafeRecordAttempt(id: bigint, status: "sent" | "failed" | "retrying", outcome: ActionOutcome): Promise<void> {
  await asideSqlRows`
    update alert_deliveries set status = ${status}, attempts = attempts + 1, last_status = ${outcome.status}::int,
      last_error = ${outcome.error}, last_attempt_at = now(),
      delivered_at = case when ${status} = 'sent' then now() else delivered_at end
    where id = ${String(id)}::bigint`;
}
