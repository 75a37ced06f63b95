import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { AppError } from "../errors";
import { Prisma } from "../generated/prisma/client.ts";
import { type PageLinks, keysetPage, parseCursor } from "../pagination";

// Reading user feedback: a project's (the user-feedback API and the Feedback page), an issue's
// (its user-reports and the issue page). Both kinds, widget feedback and user reports, are rows
// of one table; the issue is found at read time through the associated event, in the same
// project only, so feedback that arrived before its event is linked once the event is stored.

export type FeedbackView = {
  id: string;
  /** the feedback's own event id (a user report's is the event it is about) */
  eventId: string;
  /** the error event it is about, when the SDK said so */
  associatedEventId: string | null;
  /** whether that event is stored (then the issue is known) */
  eventStored: boolean;
  name: string;
  email: string;
  comments: string;
  url: string | null;
  dateCreated: Date;
  project: { id: number; slug: string };
  issue: { id: number; shortId: string; title: string } | null;
  /** the associated event's `user`, as the SDK sent it */
  user: Record<string, unknown> | null;
};

const DEFAULT_FEEDBACK_LIMIT = 25;
export const MAX_FEEDBACK_LIMIT = 100;

export type FeedbackListOptions = { cursor?: string; limit?: number };

type Row = {
  id: string;
  event_id: string;
  associated_event_id: string | null;
  event_stored: boolean;
  name: string;
  email: string;
  message: string;
  url: string | null;
  created_at: Date;
  project_id: number;
  project_slug: string;
  issue_id: number | null;
  short_id: number | null;
  title: string | null;
  user: unknown;
};

/** One page of a project's feedback, newest first; the project must be the viewer's org's. */
export async function listProjectFeedback(viewer: Viewer, projectId: number, options: FeedbackListOptions = {}) {
  assertCan(viewer.role, "feedback:read");
  const project = await db().project.findFirst({ where: { id: projectId, orgId: viewer.orgId }, select: { id: true } });
  if (!project) throw new AppError("not_found", "no such project");
  return page(viewer.orgId, Prisma.sql`f.project_id = ${project.id}`, options);
}

/** One page of the feedback of every project of the viewer's org (the Feedback page without a filter). */
export async function listOrgFeedback(viewer: Viewer, options: FeedbackListOptions = {}) {
  assertCan(viewer.role, "feedback:read");
  return page(viewer.orgId, Prisma.sql`true`, options);
}

/** One page of an issue's feedback (through its events); the issue must be the viewer's org's. */
export async function listIssueFeedback(viewer: Viewer, issueId: number, options: FeedbackListOptions = {}) {
  assertCan(viewer.role, "feedback:read");
  const issue = await db().issue.findFirst({ where: { id: issueId, project: { orgId: viewer.orgId } }, select: { id: true, projectId: true } });
  if (!issue) throw new AppError("not_found", "no such issue");
  return page(viewer.orgId, Prisma.sql`f.project_id = ${issue.projectId} and e.issue_id = ${issue.id}`, options);
}

async function page(orgId: number, where: Prisma.Sql, options: FeedbackListOptions): Promise<{ feedback: FeedbackView[]; links: PageLinks }> {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? DEFAULT_FEEDBACK_LIMIT) || 1, 1), MAX_FEEDBACK_LIMIT);
  const cursor = parseCursor(options.cursor);
  let after = Prisma.sql`true`;
  // Keyset on (created_at, id): the value is the creation time in milliseconds.
  if (cursor) {
    const at = new Date(Number(cursor.value));
    const year = at.getUTCFullYear();
    if (Number.isNaN(at.getTime()) || year < 1 || year > 9999) throw new AppError("bad_request", "Invalid cursor");
    after = cursor.prev
      ? Prisma.sql`(f.created_at, f.id) > (${at}::timestamptz, ${cursor.key}::bigint)`
      : Prisma.sql`(f.created_at, f.id) < (${at}::timestamptz, ${cursor.key}::bigint)`;
  }
  const order = cursor?.prev ? Prisma.sql`f.created_at asc, f.id asc` : Prisma.sql`f.created_at desc, f.id desc`;
  const rows = await db().$queryRaw<Row[]>`
    select f.id::text, f.event_id, f.associated_event_id, e.id is not null as event_stored, f.name, f.email, f.message, f.url,
           f.created_at, p.id as project_id, p.slug as project_slug, i.id as issue_id, i.short_id, i.title, e.payload -> 'user' as "user"
    from feedback f
    join projects p on p.id = f.project_id and p.org_id = ${orgId}
    left join events e on e.project_id = f.project_id and e.event_id = f.associated_event_id
    left join issues i on i.id = e.issue_id and i.project_id = f.project_id
    where ${where} and ${after}
    order by ${order}
    limit ${limit + 1}`;
  const { items, links } = keysetPage(rows, limit, cursor, (r) => ({ value: BigInt(r.created_at.getTime()), key: BigInt(r.id) }));
  return { feedback: items.map(viewOf), links };
}

function viewOf(row: Row): FeedbackView {
  return {
    id: row.id,
    eventId: row.event_id,
    associatedEventId: row.associated_event_id,
    eventStored: row.event_stored,
    name: row.name,
    email: row.email,
    comments: row.message,
    url: row.url,
    dateCreated: row.created_at,
    project: { id: row.project_id, slug: row.project_slug },
    issue:
      row.issue_id === null
        ? null
        : { id: row.issue_id, shortId: `${row.project_slug.toUpperCase()}-${row.short_id}`, title: row.title ?? "" },
    user: isObject(row.user) ? row.user : null,
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** One feedback row of the org by id, as lists show it (the report just posted: its caller checked). */
export async function unsafeFeedbackById(orgId: number, id: string): Promise<FeedbackView | null> {
  const { feedback } = await page(orgId, Prisma.sql`f.id = ${id}::bigint`, { limit: 1 });
  return feedback[0] ?? null;
}
