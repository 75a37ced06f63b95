import type { SqlTx } from "../db";
import type { PreparedItem, PreparedTransaction } from "./prepare";
import { itemHeaderOf } from "./stream";
import { toDataCategory, toOutcomeReason } from "../usage/outcome-values";
import { type ItemProject as Project, num, obj, str, toMs } from "./item-values";

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
  // items the worker dropped: invalid unless they say otherwise (a check-in over the plan's
  // monitor limit is rate_limited)
  invalid: { category: string; reason: string; outcome?: "invalid" | "rate_limited" }[],
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
  for (const { category, reason, outcome } of invalid) add(category, outcome ?? "invalid", reason, 1);
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
