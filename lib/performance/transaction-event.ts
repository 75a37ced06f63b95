import { serializeEvent } from "../api/serializers/event";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { eventsKeptSince, keptEvents } from "../events/kept-since";
import type { EventRecord } from "../issues/events";
import { hex16, hex32, statusOrUnknown, undashed } from "./ids";
import { storedSpans } from "./stored-spans";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const epochSeconds = (at: Date) => at.getTime() / 1000;

type TransactionRow = {
  id: bigint;
  event_id: string;
  project_id: number;
  slug: string;
  name: string;
  op: string;
  status: string;
  trace_id: string | null;
  span_id: string;
  parent_span_id: string | null;
  start_timestamp: Date;
  timestamp: Date;
  release: string | null;
  environment: string | null;
  payload: unknown;
};

/**
 * A transaction of the viewer's org in Sentry's event shape (what
 * GET /organizations/{org}/events/{project_slug}:{event_id}/ answers): the issue events'
 * serializer over the stored document, with type "transaction", its start and end, and a
 * `spans` entry first. Null when the project or the transaction is not the org's.
 */
export async function transactionEvent(
  viewer: Viewer,
  projectSlug: string,
  eventId: string,
): Promise<Record<string, unknown> | null> {
  assertCan(viewer.role, "performance:read");
  const id = hex32(eventId);
  if (id === null || projectSlug.length > 100 || projectSlug.includes("\0")) return null;
  const [row] = await db().$queryRaw<TransactionRow[]>`
    select t.id, t.event_id, t.project_id, p.slug, t.name, t.op, t.status, t.trace_id::text, t.span_id, t.parent_span_id,
      t.start_timestamp, t.timestamp, t.release, t.environment, t.payload
    from transactions t join projects p on p.id = t.project_id
    where p.org_id = ${viewer.orgId} and p.slug = ${projectSlug} and t.event_id = ${id}
      ${keptEvents(await eventsKeptSince(viewer), "t")}`;
  return row ? serializeTransaction(row) : null;
}

function serializeTransaction(row: TransactionRow): Record<string, unknown> {
  // Rows stored before spans were kept have an empty document: the columns fill the gaps.
  const payload = isObject(row.payload) ? row.payload : {};
  const received = typeof payload.received === "string" ? new Date(payload.received) : row.timestamp;
  const record: EventRecord = {
    id: row.id,
    event_id: row.event_id,
    issue_id: null,
    project_id: row.project_id,
    timestamp: row.timestamp,
    received_at: Number.isNaN(received.getTime()) ? row.timestamp : received,
    level: typeof payload.level === "string" ? payload.level : "info",
    platform: typeof payload.platform === "string" ? payload.platform : "other",
    release: row.release,
    environment: row.environment,
    title: row.name,
    tags: Array.isArray(payload.tags) ? (payload.tags as [string, string][]) : [],
    payload,
  };
  const event = serializeEvent(record);
  const contexts = isObject(payload.contexts) ? payload.contexts : {};
  const trace = isObject(contexts.trace) ? contexts.trace : {};
  return {
    ...event,
    "event.type": "transaction",
    type: "transaction",
    title: row.name,
    culprit: row.name,
    location: row.name,
    projectSlug: row.slug,
    startTimestamp: epochSeconds(row.start_timestamp),
    endTimestamp: epochSeconds(row.timestamp),
    measurements: isObject(payload.measurements) ? payload.measurements : {},
    contexts: {
      ...contexts,
      trace: {
        ...trace,
        trace_id: undashed(row.trace_id),
        span_id: row.span_id,
        ...(row.parent_span_id ? { parent_span_id: row.parent_span_id } : {}),
        op: row.op,
        status: statusOrUnknown(row.status),
      },
    },
    entries: [{ type: "spans", data: storedSpans(payload.spans) }, ...event.entries],
  };
}

/**
 * The transaction an error happened in, for the error's page to link to: in the viewer's org
 * and the error's trace, the one whose root span or one of whose spans is `spanId`, else the
 * trace's earliest transaction named `transactionName`. Null when there is none.
 */
export async function transactionForSpan(
  viewer: Viewer,
  traceId: string,
  spanId: string | null,
  transactionName: string | null,
): Promise<{ projectSlug: string; eventId: string } | null> {
  assertCan(viewer.role, "performance:read");
  const trace = hex32(traceId);
  if (trace === null) return null;
  const span = hex16(spanId);
  const kept = keptEvents(await eventsKeptSince(viewer), "t");
  if (span !== null) {
    // The document is json (read whole, not indexed): only this trace's few rows are opened.
    const [found] = await db().$queryRaw<{ slug: string; event_id: string }[]>`
      select p.slug, t.event_id from transactions t join projects p on p.id = t.project_id
      where t.trace_id = ${trace}::uuid and p.org_id = ${viewer.orgId} ${kept}
        and (t.span_id = ${span} or exists (
          select 1 from json_array_elements(case when json_typeof(t.payload->'spans') = 'array' then t.payload->'spans' else '[]' end) s
          where s->>'span_id' = ${span}))
      order by t.span_id = ${span} desc, t.start_timestamp, t.id
      limit 1`;
    if (found) return { projectSlug: found.slug, eventId: found.event_id };
  }
  if (!transactionName || transactionName.length > 200 || transactionName.includes("\0")) return null;
  const [named] = await db().$queryRaw<{ slug: string; event_id: string }[]>`
    select p.slug, t.event_id from transactions t join projects p on p.id = t.project_id
    where t.trace_id = ${trace}::uuid and p.org_id = ${viewer.orgId} and t.name = ${transactionName} ${kept}
    order by t.start_timestamp, t.id
    limit 1`;
  return named ? { projectSlug: named.slug, eventId: named.event_id } : null;
}
