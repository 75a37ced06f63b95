import type { SqlTx } from "../db";
import { joinDocuments, SEPARATOR } from "../events/joined-documents";
import { boundNewGroups, type GroupKey, groupKey } from "./group-bound";
import { upsertTransactionStats } from "./store-stats";
import type { SpanOutcome, TransactionColumns, TransactionDocument } from "./transaction-document";

type Prepared = TransactionDocument & { entryId: string };

/**
 * Stores a batch's transactions in the caller's transaction: finds or creates their groups,
 * claims their event ids and inserts the rows of the ids not stored before (a duplicate event
 * id changes nothing, however many weeks later it comes), and adds the rows actually inserted
 * to the groups' stats. Returns the span outcomes of the inserted transactions (spans their
 * documents left out), so a redelivered transaction is not counted twice.
 *
 * Lock order (after everything storeErrorEvents locks, before sessions and outcome counts, as
 * storeBatch calls them): transaction_groups by (name, op, method), transaction_ids by event id,
 * then transaction_stats by (group, resolution, bucket, environment, release).
 */
export async function storeTransactions(tx: SqlTx, projectId: number, items: Prepared[]): Promise<SpanOutcome[]> {
  const seen = new Set<string>();
  const fresh = items.filter((t) => !seen.has(t.columns.eventId) && seen.add(t.columns.eventId));
  if (fresh.length === 0) return [];
  fresh.sort((a, b) => compare(a.columns.eventId, b.columns.eventId));
  const groupOf = await resolveGroups(
    tx,
    projectId,
    fresh.map((t) => t.columns),
  );
  const claimed = await claimTransactionIds(tx, projectId, fresh);
  const stored = fresh.filter((t) => claimed.has(t.columns.eventId));
  if (stored.length === 0) return [];
  await insertTransactions(tx, projectId, stored, groupOf);
  await upsertTransactionStats(
    tx,
    projectId,
    stored.map(({ columns: c }) => ({
      groupId: groupOf.get(groupKey(c))!,
      timestamp: c.timestamp,
      durationMs: c.durationMs,
      status: c.status,
      environment: c.environment,
      release: c.release,
    })),
  );
  return stored.flatMap((t) => t.spanOutcomes);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type GroupRow = { id: string; name: string; op: string; method: string };

/**
 * Group key -> group id (bigint text). One read when every group exists (the usual batch);
 * otherwise the missing ones the project's bound lets in (group-bound.ts) are inserted in key
 * order and read again, with the placeholder groups the others go to: a second statement,
 * whose snapshot sees groups another lane committed while this insert waited for them.
 */
async function resolveGroups(tx: SqlTx, projectId: number, columns: TransactionColumns[]): Promise<Map<string, string>> {
  const keys = new Map<string, GroupKey>();
  for (const c of columns) keys.set(groupKey(c), { name: c.name, op: c.op, method: c.method });
  const read = async (wanted: GroupKey[]) =>
    tx.rows<GroupRow>`
      select g.id, g.name, g.op, g.method
      from unnest(${wanted.map((k) => k.name)}::text[], ${wanted.map((k) => k.op)}::text[], ${wanted.map((k) => k.method)}::text[])
           as k(name, op, method)
      join transaction_groups g on g.project_id = ${projectId} and g.name = k.name and g.op = k.op and g.method = k.method`;
  const ids = new Map<string, string>();
  for (const row of await read([...keys.values()])) ids.set(groupKey(row), row.id);
  const missing = [...keys.entries()]
    .filter(([key]) => !ids.has(key))
    .sort(([a], [b]) => compare(a, b))
    .map(([, k]) => k);
  if (missing.length === 0) return ids;
  const { create, redirect } = await boundNewGroups(tx, projectId, missing);
  if (create.length > 0)
    await tx.run`
      insert into transaction_groups (project_id, name, op, method)
      select ${projectId}::int, name, op, method
      from unnest(${create.map((k) => k.name)}::text[], ${create.map((k) => k.op)}::text[], ${create.map((k) => k.method)}::text[])
           with ordinality as k(name, op, method, n)
      order by n
      on conflict (project_id, name, op, method) do nothing`;
  const wanted = new Map(create.map((k) => [groupKey(k), k]));
  for (const target of redirect.values()) wanted.set(groupKey(target), target);
  for (const row of await read([...wanted.values()])) ids.set(groupKey(row), row.id);
  for (const [key, target] of redirect) ids.set(key, ids.get(groupKey(target))!);
  return ids;
}

/**
 * Claims the batch's event ids (in id order: `items` are sorted) in transaction_ids, the dedupe
 * key that outlives week boundaries (a unique index on the partitioned transactions table would
 * only cover one week: see the migration 20261205060000_transactions_partitioned), and returns
 * the ids not stored before. A batch claiming an id another uncommitted batch holds waits for
 * it, then sees it taken (or free, on rollback). received_at is the batch transaction's start,
 * as the row's default is.
 */
async function claimTransactionIds(tx: SqlTx, projectId: number, items: Prepared[]): Promise<Set<string>> {
  const rows = await tx.rows<{ event_id: string }>`
    insert into transaction_ids (project_id, event_id, received_at)
    select ${projectId}::int, event_id, now() from unnest(${items.map((t) => t.columns.eventId)}::text[]) as x(event_id)
    on conflict do nothing
    returning event_id`;
  return new Set(rows.map((r) => r.event_id));
}

async function insertTransactions(tx: SqlTx, projectId: number, items: Prepared[], groupOf: Map<string, string>): Promise<void> {
  const column = <T>(value: (c: TransactionColumns) => T) => items.map((t) => value(t.columns));
  await tx.run`
    insert into transactions (project_id, group_id, event_id, name, op, method, status, trace_id, span_id, parent_span_id,
                              duration_ms, start_timestamp, timestamp, release, environment, span_count, payload)
    select ${projectId}::int, group_id, event_id, name, op, method, status, trace_id, span_id, parent_span_id,
           duration_ms, start_ts, ts, release, environment, span_count, payload::json
    from rows from (
      unnest(${column((c) => groupOf.get(groupKey(c))!)}::bigint[]), unnest(${column((c) => c.eventId)}::text[]),
      unnest(${column((c) => c.name)}::text[]), unnest(${column((c) => c.op)}::text[]), unnest(${column((c) => c.method)}::text[]),
      unnest(${column((c) => c.status)}::text[]), unnest(${column((c) => c.traceId)}::uuid[]),
      unnest(${column((c) => c.spanId)}::text[]), unnest(${column((c) => c.parentSpanId)}::text[]),
      unnest(${column((c) => c.durationMs)}::float8[]), unnest(${column((c) => c.start.toISOString())}::timestamptz[]),
      unnest(${column((c) => c.timestamp.toISOString())}::timestamptz[]), unnest(${column((c) => c.release)}::text[]),
      unnest(${column((c) => c.environment)}::text[]), unnest(${column((c) => c.spanCount)}::int[]),
      string_to_table(${joinDocuments(items.map((t) => t.payloadJson))}::text, ${SEPARATOR}))
      as x(group_id, event_id, name, op, method, status, trace_id, span_id, parent_span_id, duration_ms, start_ts, ts,
           release, environment, span_count, payload)`;
}
