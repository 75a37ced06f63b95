import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { type Db, db, dbRead } from "../db";
import { AppError } from "../errors";
import { eventsKeptSince, keptEvents } from "../events/kept-since";
import { Prisma } from "../generated/prisma/client.ts";
import { type PageLinks, keysetPage, parseCursor } from "../pagination";

/** An event row as the API serializers read it; `payload` is the stored (normalized) event. */
export type EventRecord = {
  id: bigint;
  event_id: string;
  issue_id: number | null;
  project_id: number;
  timestamp: Date;
  received_at: Date;
  level: string;
  platform: string;
  release: string | null;
  environment: string | null;
  title: string;
  tags: [string, string][];
  payload: Record<string, unknown>;
};

/**
 * The issue an event endpoint is about, in the viewer's org; 404 otherwise. Read paths pass
 * their dbRead() client; a guard before a write reads the primary.
 */
export async function eventIssue(viewer: Viewer, issueId: number, client: Db = db()) {
  assertCan(viewer.role, "issues:read");
  const issue = await client.issue.findFirst({
    where: { id: issueId, project: { orgId: viewer.orgId } },
    select: { id: true, projectId: true, culprit: true, metadata: true, type: true },
  });
  if (!issue) throw new AppError("not_found", "no such issue");
  return issue;
}

const columns = Prisma.sql`e.id, e.event_id, e.issue_id, e.project_id, e.timestamp, e.received_at, e.level, e.platform,
  e.release, e.environment, e.title, e.tags`;
// What the short event form reads from the payload, so a list of 100 events never ships 100 payloads.
const summary = Prisma.sql`jsonb_strip_nulls(jsonb_build_object('user', e.payload->'user', 'logentry', e.payload->'logentry',
  'culprit', e.payload->'culprit', 'type', e.payload->'type', 'transaction', e.payload->'transaction'))`;

export const DEFAULT_EVENT_LIMIT = 100;

/** An issue's events, newest first, keyset-paged on (timestamp, id). */
export async function listIssueEvents(
  viewer: Viewer,
  issueId: number,
  options: { cursor?: string; limit?: number; full?: boolean; environments?: string[] },
): Promise<{ events: EventRecord[]; links: PageLinks }> {
  const read = await dbRead(viewer);
  const [, since] = await Promise.all([eventIssue(viewer, issueId, read), eventsKeptSince(viewer, read)]);
  const limit = options.limit ?? DEFAULT_EVENT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new AppError("bad_request", "limit must be between 1 and 100");
  const cursor = parseCursor(options.cursor);
  let after = Prisma.empty;
  if (cursor) {
    const at = new Date(Number(cursor.value));
    if (Number.isNaN(at.getTime())) throw new AppError("bad_request", "Invalid cursor");
    after = cursor.prev
      ? Prisma.sql`and (e.timestamp, e.id) > (${at}, ${cursor.key})`
      : Prisma.sql`and (e.timestamp, e.id) < (${at}, ${cursor.key})`;
  }
  const environments =
    options.environments && options.environments.length > 0
      ? Prisma.sql`and e.environment = any(${options.environments}::text[])`
      : Prisma.empty;
  const direction = Prisma.raw(cursor?.prev ? "asc" : "desc");
  const rows = await read.$queryRaw<EventRecord[]>`
    select ${columns}, ${options.full ? Prisma.sql`e.payload` : summary} as payload
    from events e join projects p on p.id = e.project_id
    where p.org_id = ${viewer.orgId} and e.issue_id = ${issueId} ${keptEvents(since)} ${environments} ${after}
    order by e.timestamp ${direction}, e.id ${direction}
    limit ${limit + 1}`;
  const page = keysetPage(rows, limit, cursor, (e) => ({ value: BigInt(e.timestamp.getTime()), key: e.id }));
  return { events: page.items, links: page.links };
}

export type EventSelector = "latest" | "oldest" | "recommended" | { eventId: string };

/** "latest", "oldest", "recommended" (the latest, here) or a 32-hex event id; anything else is not found. */
export function parseEventSelector(text: string): EventSelector {
  if (text === "latest" || text === "oldest" || text === "recommended") return text;
  const hex = text.replaceAll("-", "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new AppError("not_found", "no such event");
  return { eventId: hex };
}

/**
 * One event of an issue with what the details view shows beside it: the neighbouring events'
 * ids, the issue's grouping hashes and the release's creation date.
 */
export async function issueEvent(viewer: Viewer, issueId: number, selector: EventSelector) {
  const read = await dbRead(viewer);
  const [issue, since] = await Promise.all([eventIssue(viewer, issueId, read), eventsKeptSince(viewer, read)]);
  const where = Prisma.sql`p.org_id = ${viewer.orgId} and e.issue_id = ${issueId} ${keptEvents(since)}`;
  const pick =
    typeof selector === "object"
      ? Prisma.sql`and e.project_id = ${issue.projectId} and e.event_id = ${selector.eventId}`
      : Prisma.sql`order by e.timestamp ${Prisma.raw(selector === "oldest" ? "asc" : "desc")}, e.id ${Prisma.raw(selector === "oldest" ? "asc" : "desc")}`;
  const [event] = await read.$queryRaw<EventRecord[]>`
    select ${columns}, e.payload from events e join projects p on p.id = e.project_id
    where ${where} ${pick} limit 1`;
  if (!event) throw new AppError("not_found", "no such event");
  const neighbour = (newer: boolean) => read.$queryRaw<{ event_id: string }[]>`
    select e.event_id from events e join projects p on p.id = e.project_id
    where ${where} and (e.timestamp, e.id) ${Prisma.raw(newer ? ">" : "<")} (${event.timestamp}, ${event.id})
    order by e.timestamp ${Prisma.raw(newer ? "asc" : "desc")}, e.id ${Prisma.raw(newer ? "asc" : "desc")} limit 1`;
  const [next, previous, hashes, release] = await Promise.all([
    neighbour(true),
    neighbour(false),
    read.issueHash.findMany({ where: { issueId, projectId: issue.projectId }, orderBy: { id: "asc" }, select: { hash: true } }),
    event.release
      ? read.release.findUnique({
          where: { orgId_version: { orgId: viewer.orgId, version: event.release } },
          select: { version: true, createdAt: true },
        })
      : null,
  ]);
  return {
    event,
    issue,
    nextEventId: next[0]?.event_id ?? null,
    previousEventId: previous[0]?.event_id ?? null,
    hashes: hashes.map((h) => h.hash),
    release: event.release ? (release ?? { version: event.release, createdAt: null }) : null,
  };
}
