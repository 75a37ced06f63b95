import type { FeedbackView } from "./list";

/**
 * Sentry's legacy user report (UserReportWithGroupSerializer). `eventID` is the error event
 * the feedback is about; widget feedback sent without one gets its own event id there (always
 * 32 hex, as clients expect), and `event.eventID` says the same.
 */
export function serializeUserReport(feedback: FeedbackView) {
  const eventId = feedback.associatedEventId ?? feedback.eventId;
  return {
    id: feedback.id,
    eventID: eventId,
    name: feedback.name,
    email: feedback.email,
    comments: feedback.comments,
    dateCreated: feedback.dateCreated.toISOString(),
    user: serializeUser(feedback.user),
    event: { id: eventId, eventID: eventId },
    issue: feedback.issue && { id: String(feedback.issue.id), shortId: feedback.issue.shortId, title: feedback.issue.title },
    // ours: the page the feedback was sent from (the widget's), and the project
    url: feedback.url,
    project: { id: String(feedback.project.id), slug: feedback.project.slug },
  };
}

const str = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : null);

/** The associated event's user in Sentry's event-user shape. */
function serializeUser(user: Record<string, unknown> | null) {
  if (!user) return null;
  const id = str(user.id);
  const email = str(user.email);
  const username = str(user.username);
  const ipAddress = str(user.ip_address);
  return {
    id,
    username,
    email,
    name: str(user.name) ?? username ?? email ?? id ?? ipAddress,
    ipAddress,
  };
}
