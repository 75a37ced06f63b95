import type { SqlTx } from "../db";
import type { PreparedItem } from "../events/prepare";
import { type ItemProject as Project, obj, str } from "../events/item-values";

/** User feedback: the feedback widget's `feedback` items and legacy `user_report` items. */
export async function storeFeedback(tx: SqlTx, project: Project, items: PreparedItem[]): Promise<void> {
  const rows = items.flatMap(({ type, data, entry }) => {
    if (type === "feedback") {
      const feedback = obj(obj(data.contexts).feedback);
      const message = str(feedback.message, 8192);
      if (!message) return [];
      return [
        {
          eventId: entry.eventId,
          associated: str(feedback.associated_event_id, 32),
          name: str(feedback.name) ?? "",
          email: str(feedback.contact_email) ?? "",
          message,
          url: str(feedback.url, 2000),
          at: entry.receivedAt,
        },
      ];
    }
    const message = str(data.comments, 8192);
    const eventId = str(data.event_id, 36)?.replace(/-/g, "") ?? entry.eventId;
    if (!message || !eventId) return [];
    return [
      {
        eventId,
        associated: eventId,
        name: str(data.name) ?? "",
        email: str(data.email) ?? "",
        message,
        url: null,
        at: entry.receivedAt,
      },
    ];
  });
  if (rows.length === 0) return;
  await tx.run`
    insert into feedback (project_id, event_id, associated_event_id, name, email, message, url, created_at)
    select ${project.id}::int, * from unnest(${rows.map((r) => r.eventId)}::text[], ${rows.map((r) => r.associated)}::text[],
      ${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.email)}::text[], ${rows.map((r) => r.message)}::text[],
      ${rows.map((r) => r.url)}::text[], ${rows.map((r) => r.at.toISOString())}::timestamptz[])
    on conflict do nothing`;
}

