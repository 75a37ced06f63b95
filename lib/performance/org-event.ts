import { serializeEvent } from "../api/serializers/event";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { AppError } from "../errors";
import { issueEvent } from "../issues/events";
import { hex32 } from "./ids";
import { transactionEvent } from "./transaction-event";

/**
 * `{project_slug}:{event_id}` from the URL of Sentry's org events endpoint. Next decodes path
 * segments, but a client (or a proxy) may still hand the colon over as %3A: both are read.
 * Anything else is simply not found.
 */
export function parseEventRef(ref: string): { projectSlug: string; eventId: string } {
  let text = ref;
  if (text.includes("%")) {
    try {
      text = decodeURIComponent(text);
    } catch {
      throw new AppError("not_found", "no such event");
    }
  }
  const colon = text.lastIndexOf(":");
  const projectSlug = text.slice(0, colon);
  const eventId = hex32(text.slice(colon + 1));
  if (colon < 1 || eventId === null || projectSlug.length > 100 || projectSlug.includes("\0")) {
    throw new AppError("not_found", "no such event");
  }
  return { projectSlug, eventId };
}

/**
 * GET /organizations/{org}/events/{project_slug}:{event_id}/: a transaction with its spans,
 * or else an error event in the issue events API's shape. Not found when the viewer's org has
 * neither.
 */
export async function orgEventForViewer(viewer: Viewer, ref: string): Promise<Record<string, unknown>> {
  const { projectSlug, eventId } = parseEventRef(ref);
  const transaction = await transactionEvent(viewer, projectSlug, eventId);
  if (transaction) return transaction;
  assertCan(viewer.role, "issues:read");
  const [found] = await db().$queryRaw<{ issue_id: number | null }[]>`
    select e.issue_id from events e join projects p on p.id = e.project_id
    where p.org_id = ${viewer.orgId} and p.slug = ${projectSlug} and e.event_id = ${eventId}`;
  if (found?.issue_id == null) throw new AppError("not_found", "no such event");
  const error = await issueEvent(viewer, found.issue_id, { eventId });
  return {
    ...serializeEvent(error.event, {
      culprit: error.issue.culprit,
      hashes: error.hashes,
      release: error.release,
      nextEventId: error.nextEventId,
      previousEventId: error.previousEventId,
    }),
    projectSlug,
  };
}
