import type { SqlTx } from "../db";
import type { PreparedItem, PreparedTransaction } from "./prepare";
import { itemHeaderOf } from "./stream";
import { toDataCategory, toOutcomeReason } from "../usage/outcome-values";

type Project = { id: number; orgId: number };

const str = (v: unknown, max = 200): string | null =>
  typeof v === "string" && v !== "" ? v.slice(0, max) : null;
// Counts go to int and bigint columns: a fraction, a negative or 1e30 once failed the batch.
const MAX_COUNT = 1_000_000;
/** A count an SDK sent, as a whole number in [0, MAX_COUNT]; anything else is 0. */
const num = (v: unknown): number =>
  typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.min(Math.floor(v), MAX_COUNT) : 0;
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Epoch milliseconds of an SDK timestamp (RFC 3339 string or epoch seconds). */
function toMs(v: unknown): number | null {
  const ms = typeof v === "number" ? v * 1000 : typeof v === "string" ? Date.parse(v) : Number.NaN;
  // Outside years 1970-9999 it is no SDK's clock (and past JS's Date range, `1e15` seconds,
  // toISOString throws): the caller falls back to the receive time.
  return ms >= 0 && ms <= LATEST_MS ? ms : null;
}
const LATEST_MS = Date.UTC(9999, 11, 31);

const hourOf = (ms: number) => new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString();

/** Transactions: name, op, status, trace id and duration, for a later performance view. */
export async function storeTransactions(
  tx: SqlTx,
  project: Project,
  items: PreparedTransaction[],
): Promise<void> {
  if (items.length === 0) return;
  const rows = items.map(({ raw, event }) => {
    const trace = obj(obj(raw.contexts).trace);
    const start = toMs(raw.start_timestamp);
    const end = toMs(raw.timestamp);
    return {
      eventId: event.eventId,
      name: event.transaction ?? "<unlabeled transaction>",
      op: str(trace.op) ?? "",
      status: str(trace.status) ?? "",
      traceId: str(trace.trace_id, 64) ?? "",
      durationMs: start !== null && end !== null && end >= start ? end - start : 0,
      timestamp: event.timestamp.toISOString(),
      release: event.release ?? null,
      environment: event.environment ?? null,
    };
  });
  await tx.run`
    insert into transactions (project_id, event_id, name, op, status, trace_id, duration_ms, timestamp, release, environment)
    select ${project.id}::int, * from unnest(${rows.map((r) => r.eventId)}::text[], ${rows.map((r) => r.name)}::text[],
      ${rows.map((r) => r.op)}::text[], ${rows.map((r) => r.status)}::text[], ${rows.map((r) => r.traceId)}::text[],
      ${rows.map((r) => r.durationMs)}::float8[], ${rows.map((r) => r.timestamp)}::timestamptz[],
      ${rows.map((r) => r.release)}::text[], ${rows.map((r) => r.environment)}::text[])
    on conflict (project_id, event_id) do nothing`;
}

// The int columns' bound: counters a client inflates stop there instead of failing each batch.
const MAX_INT = 2 ** 31 - 1;

type SessionTotals = {
  hour: string;
  release: string;
  environment: string;
  started: number;
  exited: number;
  errored: number;
  crashed: number;
  abnormal: number;
};

/**
 * Release health: single session updates and pre-aggregated `sessions` items, summed per
 * hour, release and environment. A session counts as started on its init update and as
 * exited, crashed, abnormal or errored on its final one, so each is counted once.
 */
export async function storeSessions(tx: SqlTx, project: Project, items: PreparedItem[]): Promise<void> {
  const totals = new Map<string, SessionTotals>();
  const add = (startedMs: number, attrs: Record<string, unknown>, counts: Partial<SessionTotals>) => {
    const release = str(attrs.release);
    if (!release) return; // Sentry drops sessions without a release: nothing to attribute them to
    const environment = str(attrs.environment) ?? "";
    const hour = hourOf(startedMs);
    const key = `${hour}\n${release}\n${environment}`;
    const t = totals.get(key) ?? {
      hour,
      release,
      environment,
      started: 0,
      exited: 0,
      errored: 0,
      crashed: 0,
      abnormal: 0,
    };
    for (const field of ["started", "exited", "errored", "crashed", "abnormal"] as const)
      t[field] = Math.min(t[field] + (counts[field] ?? 0), MAX_INT);
    totals.set(key, t);
  };
  for (const { type, data, entry } of items) {
    const attrs = obj(data.attrs);
    if (type === "session") {
      const status = str(data.status) ?? "ok";
      const startedMs = toMs(data.started) ?? entry.receivedAt.getTime();
      const final = status !== "ok";
      add(startedMs, attrs, {
        started: data.init === true ? 1 : 0,
        exited: status === "exited" && num(data.errors) === 0 ? 1 : 0,
        errored: status === "errored" || (final && status !== "crashed" && num(data.errors) > 0) ? 1 : 0,
        crashed: status === "crashed" ? 1 : 0,
        abnormal: status === "abnormal" ? 1 : 0,
      });
    } else {
      for (const bucket of Array.isArray(data.aggregates) ? data.aggregates : []) {
        const b = obj(bucket);
        const counts = {
          exited: num(b.exited),
          errored: num(b.errored),
          crashed: num(b.crashed),
          abnormal: num(b.abnormal),
        };
        const started = counts.exited + counts.errored + counts.crashed + counts.abnormal;
        add(toMs(b.started) ?? entry.receivedAt.getTime(), attrs, { ...counts, started });
      }
    }
  }
  if (totals.size === 0) return;
  // In key order, as every batch takes its row locks (see store-errors.ts).
  const rows = [...totals.keys()].sort().map((key) => totals.get(key)!);
  await tx.run`
    insert into session_counts (project_id, hour, release, environment, started, exited, errored, crashed, abnormal)
    select ${project.id}::int, * from unnest(${rows.map((r) => r.hour)}::timestamptz[], ${rows.map((r) => r.release)}::text[],
      ${rows.map((r) => r.environment)}::text[], ${rows.map((r) => r.started)}::int[], ${rows.map((r) => r.exited)}::int[],
      ${rows.map((r) => r.errored)}::int[], ${rows.map((r) => r.crashed)}::int[], ${rows.map((r) => r.abnormal)}::int[])
    on conflict (project_id, hour, release, environment) do update set
      started = least(session_counts.started::bigint + excluded.started, ${MAX_INT}::bigint),
      exited = least(session_counts.exited::bigint + excluded.exited, ${MAX_INT}::bigint),
      errored = least(session_counts.errored::bigint + excluded.errored, ${MAX_INT}::bigint),
      crashed = least(session_counts.crashed::bigint + excluded.crashed, ${MAX_INT}::bigint),
      abnormal = least(session_counts.abnormal::bigint + excluded.abnormal, ${MAX_INT}::bigint)`;
}

/** Cron check-ins; a later update of the same check-in (in_progress -> ok) replaces its status. */
export async function storeCheckIns(tx: SqlTx, project: Project, items: PreparedItem[]): Promise<void> {
  for (const { data, entry } of items) {
    const checkInId = str(data.check_in_id, 64);
    const monitorSlug = str(data.monitor_slug);
    if (!checkInId || !monitorSlug) continue;
    const at = entry.receivedAt;
    // JSON.parse reads 1e400 as Infinity
    const duration = typeof data.duration === "number" && Number.isFinite(data.duration) ? data.duration : null;
    await tx.run`
      insert into check_ins (project_id, check_in_id, monitor_slug, status, duration_ms, environment, created_at, updated_at, payload)
      values (${project.id}, ${checkInId}, ${monitorSlug}, ${str(data.status, 20) ?? "unknown"}, ${duration === null ? null : duration * 1000},
              ${str(data.environment)}, ${at}, ${at}, ${JSON.stringify(data)}::jsonb)
      on conflict (project_id, check_in_id) do update set
        status = excluded.status, duration_ms = excluded.duration_ms, updated_at = excluded.updated_at, payload = excluded.payload`;
  }
}

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

export async function storeAttachments(tx: SqlTx, project: Project, items: PreparedItem[]): Promise<void> {
  const rows = items.filter(({ entry }) => entry.eventId);
  if (rows.length === 0) return;
  for (const { entry } of rows) {
    const header = itemHeaderOf(entry);
    await tx.run`
      insert into event_attachments (project_id, event_id, name, content_type, size, data)
      values (${project.id}, ${entry.eventId}, ${str(header.filename, 500) ?? "attachment"},
              ${str(header.content_type, 200) ?? "application/octet-stream"}, ${entry.payload.length}, ${entry.payload})`;
  }
}

/**
 * Outcomes the worker knows of: what SDKs report they discarded (client reports) and items
 * it could not process. Added to the same daily counters ingest's outcomes go to.
 */
export async function storeOutcomes(
  tx: SqlTx,
  project: Project,
  clientReports: PreparedItem[],
  invalid: { category: string; reason: string }[],
  now: Date,
): Promise<void> {
  const counts = new Map<string, { category: string; outcome: string; reason: string; quantity: number }>();
  const add = (category: string, outcome: string, reason: string, quantity: number) => {
    if (quantity <= 0) return;
    const key = `${category}\n${outcome}\n${reason}`;
    const current = counts.get(key) ?? { category, outcome, reason, quantity: 0 };
    current.quantity += quantity;
    counts.set(key, current);
  };
  for (const { data } of clientReports) {
    for (const discarded of Array.isArray(data.discarded_events) ? data.discarded_events : []) {
      const d = obj(discarded);
      // What the SDK names is kept only when it is on the fixed lists ingest counts with.
      add(
        toDataCategory(str(d.category, 50) ?? ""),
        "client_discard",
        toOutcomeReason(str(d.reason, 100) ?? "other"),
        Math.min(num(d.quantity), 1_000_000),
      );
    }
  }
  for (const { category, reason } of invalid) add(category, "invalid", reason, 1);
  if (counts.size === 0) return;
  // In key order, as every batch takes its row locks (see store-errors.ts).
  const rows = [...counts.keys()].sort().map((key) => counts.get(key)!);
  const day = now.toISOString().slice(0, 10);
  await tx.run`
    insert into outcome_counts (org_id, project_id, day, category, outcome, reason, quantity)
    select ${project.orgId}::int, ${project.id}::int, ${day}::date, c, o::"Outcome", r, q
    from unnest(${rows.map((r) => r.category)}::text[], ${rows.map((r) => r.outcome)}::text[], ${rows.map((r) => r.reason)}::text[],
                ${rows.map((r) => r.quantity)}::bigint[]) as x(c, o, r, q)
    on conflict (org_id, project_id, day, category, outcome, reason)
    do update set quantity = outcome_counts.quantity + excluded.quantity`;
}
