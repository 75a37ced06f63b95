import { db } from "../../db";
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
  const row = await db().alertDelivery.findUnique({
    where: { id: deliveryId },
    select: {
      id: true,
      issueId: true,
      eventId: true,
      action: true,
      test: true,
      status: true,
      rule: { select: { id: true, name: true, secret: true, projectId: true } },
    },
  });
  if (!row) return { done: "missing" };
  if (row.status === "sent" || row.status === "failed") return { done: "already-final" };
  const loaded = await unsafeLoadAlertFacts({
    projectId: row.rule.projectId,
    rule: { id: row.rule.id, name: row.rule.name },
    issueId: row.issueId,
    eventId: row.eventId,
    test: row.test,
  });
  if (!loaded) return { done: "missing" };
  const outcome = await unsafeDeliverAction(row.action as Action, loaded, row.rule.secret);
  const status = outcome.ok ? "sent" : outcome.retry && !lastAttempt ? "retrying" : "failed";
  await recordAttempt(row.id, status, outcome);
  return { done: status, outcome };
}

/** Writes an attempt's result; a row deleted meanwhile (its rule was) is left deleted. */
export async function recordAttempt(id: bigint, status: "sent" | "failed" | "retrying", outcome: ActionOutcome): Promise<void> {
  const now = new Date();
  await db().alertDelivery.updateMany({
    where: { id },
    data: {
      status,
      attempts: { increment: 1 },
      lastStatus: outcome.status,
      lastError: outcome.error,
      lastAttemptAt: now,
      ...(status === "sent" ? { deliveredAt: now } : {}),
    },
  });
}
