import { evaluateFeedbackAlerts } from "../alerts/evaluate-feedback";
import type { SqlTx } from "../db";
import type { PreparedItem } from "../events/prepare";
import { type ItemProject as Project, obj, str } from "../events/item-values";
import { MAX_COMMENTS, eventIdOf } from "./values";

/** A feedback row just inserted, with what alert rules look at. */
export type NewFeedback = {
  id: string;
  eventId: string;
  associatedEventId: string | null;
  name: string;
  email: string;
  environment: string | null;
};

type Row = {
  eventId: string;
  associated: string | null;
  name: string;
  email: string;
  message: string;
  url: string | null;
  environment: string | null;
  at: Date;
};

/**
 * User feedback: the feedback widget's and captureFeedback's `feedback` items and legacy
 * `user_report` items. Items without a message, or a user report without a usable event id,
 * are dropped. A duplicate (the same event id again: a retried batch, or a second report on
 * one event) is kept as first stored; the user-feedback endpoint is where Sentry's "update
 * within five minutes" applies. Returns the ids of the alert deliveries the new rows fired.
 */
export async function storeFeedback(tx: SqlTx, project: Project, items: PreparedItem[], now: Date): Promise<string[]> {
  const rows = items.flatMap(({ type, data, entry }): Row[] => {
    const environment = str(data.environment, 64);
    if (type === "feedback") {
      const feedback = obj(obj(data.contexts).feedback);
      const message = str(feedback.message, MAX_COMMENTS);
      if (!message) return [];
      return [
        {
          eventId: entry.eventId,
          associated: eventIdOf(feedback.associated_event_id),
          name: str(feedback.name) ?? "",
          email: str(feedback.contact_email) ?? "",
          message,
          url: str(feedback.url, 2000),
          environment,
          at: entry.receivedAt,
        },
      ];
    }
    const message = str(data.comments, MAX_COMMENTS);
    const eventId = eventIdOf(data.event_id) ?? eventIdOf(entry.eventId);
    if (!message || !eventId) return [];
    return [
      { eventId, associated: eventId, name: str(data.name) ?? "", email: str(data.email) ?? "", message, url: null, environment, at: entry.receivedAt },
    ];
  });
  if (rows.length === 0) return [];
  const inserted = await insertFeedback(tx, project.id, rows);
  return evaluateFeedbackAlerts(tx, project, inserted, now);
}

/** Inserts feedback rows, skipping (project, event id) duplicates; the rows actually inserted. */
export async function insertFeedback(tx: SqlTx, projectId: number, rows: Row[]): Promise<NewFeedback[]> {
  const stored = await tx.rows<Omit<NewFeedback, "environment">>`
    insert into feedback (project_id, event_id, associated_event_id, name, email, message, url, created_at)
    select ${projectId}::int, * from unnest(${rows.map((r) => r.eventId)}::text[], ${rows.map((r) => r.associated)}::text[],
      ${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.email)}::text[], ${rows.map((r) => r.message)}::text[],
      ${rows.map((r) => r.url)}::text[], ${rows.map((r) => r.at.toISOString())}::timestamptz[])
    on conflict do nothing
    returning id::text, event_id as "eventId", associated_event_id as "associatedEventId", name, email`;
  const environments = new Map(rows.map((r) => [r.eventId, r.environment]));
  return stored.map((r) => ({ ...r, environment: environments.get(r.eventId) ?? null }));
}
