import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { eventsKeptSince, keptEvents } from "../events/kept-since";
import { issueKind } from "../issues/kind";
import { hex32, statusOrUnknown } from "./ids";
import { storedSpans } from "./stored-spans";
import { traceTree } from "./trace-tree";
import type { Trace, TraceError, TraceTransaction } from "./types";

// A trace id comes from the SDK's sentry-trace header, which anyone can forge, so a trace may
// be huge and may hold other orgs' rows: the answer is bounded and holds only the viewer's
// org's. At most this many transactions and errors (the earliest), and the spans of the
// earliest transactions until this many spans are served (later ones come without spans, so
// a transaction started from one of their spans shows at the top level).
const MAX_TRACE_TRANSACTIONS = 1000;
const MAX_TRACE_ERRORS = 1000;
const MAX_TRACE_SPANS = 10_000;

type TransactionRow = {
  event_id: string;
  project_id: number;
  slug: string;
  name: string;
  op: string;
  start_timestamp: Date;
  timestamp: Date;
  duration_ms: number;
  status: string;
  span_id: string;
  parent_span_id: string | null;
  /**
   * the stored document as text: PostgreSQL would parse the json to pick its spans, and the
   * driver's json decoding costs 3x a JSON.parse of the text
   */
  payload: string | null;
};

type ErrorRow = {
  event_id: string;
  issue_id: number | null;
  issue_type: string | null;
  title: string;
  project_id: number;
  slug: string;
  timestamp: Date;
  span_id: string | null;
};

/**
 * The viewer's org's transactions of one trace, across its projects, as a tree (a transaction
 * is the child of the one holding the span its parent_span_id names; others are roots, ordered
 * by start), and the org's error events of the trace. Null when the org has nothing of it (or
 * `traceId` is no trace id).
 */
export async function traceForViewer(viewer: Viewer, traceId: string): Promise<Trace | null> {
  assertCan(viewer.role, "performance:read");
  const trace = hex32(traceId);
  if (trace === null) return null;
  const keptSince = await eventsKeptSince(viewer);
  const [transactions, { errors, performanceIssues }] = await Promise.all([
    traceTransactions(viewer, trace, keptSince),
    traceErrors(viewer, trace, keptSince),
  ]);
  if (transactions.length === 0 && errors.length === 0 && performanceIssues.length === 0) return null;
  return { transactions: traceTree(transactions), errors, performanceIssues };
}

async function traceTransactions(viewer: Viewer, trace: string, keptSince: Date | null): Promise<TraceTransaction[]> {
  const rows = await db().$queryRaw<TransactionRow[]>`
    select t.event_id, t.project_id, t.slug, t.name, t.op, t.start_timestamp, t.timestamp, t.duration_ms, t.status,
      t.span_id, t.parent_span_id,
      case when t.spans_before + t.span_count <= ${MAX_TRACE_SPANS} then t.payload::text end as payload
    from (
      select t.*, p.slug,
        coalesce(sum(t.span_count) over (order by t.start_timestamp, t.id rows between unbounded preceding and 1 preceding), 0) as spans_before
      from transactions t join projects p on p.id = t.project_id
      where t.trace_id = ${trace}::uuid and p.org_id = ${viewer.orgId} ${keptEvents(keptSince, "t")}
      order by t.start_timestamp, t.id
      limit ${MAX_TRACE_TRANSACTIONS}
    ) t
    order by t.start_timestamp, t.id`;
  return rows.map((r) => ({
    eventID: r.event_id,
    project: { id: String(r.project_id), slug: r.slug },
    transaction: r.name,
    op: r.op,
    startTimestamp: r.start_timestamp.getTime() / 1000,
    timestamp: r.timestamp.getTime() / 1000,
    duration: r.duration_ms,
    status: statusOrUnknown(r.status),
    spanId: r.span_id,
    parentSpanId: r.parent_span_id || null,
    spans: r.payload === null ? [] : storedSpans(spansOf(r.payload)),
    children: [],
  }));
}

function spansOf(document: string): unknown {
  try {
    const parsed: unknown = JSON.parse(document);
    return typeof parsed === "object" && parsed !== null ? (parsed as { spans?: unknown }).spans : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The trace's events: errors, and apart from them (as Sentry's trace lists them) the events of
 * performance issues the worker found in its transactions, which carry the trace id too.
 */
async function traceErrors(
  viewer: Viewer,
  trace: string,
  keptSince: Date | null,
): Promise<Pick<Trace, "errors" | "performanceIssues">> {
  const rows = await db().$queryRaw<ErrorRow[]>`
    select e.event_id, e.issue_id, e.title, e.project_id, p.slug, e.timestamp, i.type as issue_type,
      e.payload->'contexts'->'trace'->>'span_id' as span_id
    from events e join projects p on p.id = e.project_id left join issues i on i.id = e.issue_id
    where e.trace_id = ${trace}::uuid and p.org_id = ${viewer.orgId} ${keptEvents(keptSince)}
    order by e.timestamp, e.id
    limit ${MAX_TRACE_ERRORS}`;
  const events = rows.map((r) => ({
    eventID: r.event_id,
    issueId: r.issue_id === null ? "" : String(r.issue_id),
    title: r.title,
    project: { id: String(r.project_id), slug: r.slug },
    timestamp: r.timestamp.toISOString(),
    spanId: typeof r.span_id === "string" && r.span_id.length <= 32 ? r.span_id : null,
    category: issueKind(r.issue_type ?? "error").issueCategory,
  }));
  const strip = ({ category: _, ...event }: (typeof events)[number]): TraceError => event;
  return {
    errors: events.filter((e) => e.category !== "performance").map(strip),
    performanceIssues: events.filter((e) => e.category === "performance").map(strip),
  };
}
