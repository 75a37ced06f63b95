import type { SqlTx } from "../db";
import { joinDocuments, SEPARATOR } from "../events/joined-documents";
import type { PreparedTransaction } from "../events/prepare";
import { joinStoredSegments } from "./late-spans";
import { withSpans } from "./merge-spans";
import type { DroppedSpans, PendingGroup, PreparedSpans } from "./prepare-spans";
import type { StoredSpan } from "./types";

// Streamed spans whose segment has not come yet. An SDK sends a trace's spans 5 s after the
// first of them ended, so the children of a longer segment (a slow page load) come in an
// earlier container than the segment. They wait in pending_spans, and the batch that brings
// their segment takes them into its transaction; those whose segment never comes are swept
// (sweep-pending-spans.ts). Span items stay in lane 0 (stream-keys.ts), so one drain job at a
// time stores a project's spans, in the order they were sent.

/**
 * Spans one project may keep waiting: a bound on what a sender can park here without ever
 * sending a segment (a container of children only counts against no transaction quota).
 */
export const MAX_PENDING_SPANS = 100_000;

export type SpanParts = {
  /** the batch's transactions, those of segments with pending spans replaced by merged copies */
  transactions: PreparedTransaction[];
  dropped: DroppedSpans[];
};

/**
 * In the batch transaction, before its transactions are stored: takes (deletes) the pending
 * spans of the batch's segments, and the batch's own children of them, into their
 * transactions; children of segments stored before join their stored transaction
 * (late-spans.ts); the others wait for their segment.
 */
export async function storePendingSpans(
  tx: SqlTx,
  projectId: number,
  parts: PreparedSpans[],
  transactions: PreparedTransaction[],
  now: Date,
): Promise<SpanParts> {
  const dropped = parts.flatMap((part) => part.dropped);
  if (parts.length === 0) return { transactions, dropped };
  const segments = new Map<string, PreparedTransaction>();
  for (const part of parts)
    for (const [id, transaction] of part.segments) if (!segments.has(id)) segments.set(id, transaction);

  const extra = new Map<string, StoredSpan[]>();
  const add = (segmentId: string, spans: StoredSpan[]) => {
    const list = extra.get(segmentId);
    if (list) for (const span of spans) list.push(span);
    else extra.set(segmentId, [...spans]);
  };
  if (segments.size > 0) {
    const rows = await tx.rows<{ id: string; segment_id: string; spans: string }>`
      delete from pending_spans where project_id = ${projectId} and segment_id = any(${[...segments.keys()]}::text[])
      returning id, segment_id, spans::text as spans`;
    // in the order they came: the waterfall reads spans in the order sent
    rows.sort((a, b) => compare(a.id, b.id));
    for (const row of rows) add(row.segment_id, JSON.parse(row.spans) as StoredSpan[]);
  }
  const waiting: PendingGroup[] = [];
  for (const part of parts)
    for (const group of part.pending) {
      if (segments.has(group.segmentId)) add(group.segmentId, group.spans);
      else waiting.push(group);
    }
  await insertPending(tx, projectId, await joinStoredSegments(tx, projectId, waiting, dropped), now, dropped);

  if (extra.size === 0) return { transactions, dropped };
  const merged = new Map<PreparedTransaction, PreparedTransaction>();
  for (const [segmentId, spans] of extra) {
    const transaction = segments.get(segmentId)!;
    merged.set(transaction, withSpans(transaction, spans));
  }
  return { transactions: transactions.map((t) => merged.get(t) ?? t), dropped };
}

// bigint ids arrive as text: shorter is smaller
const compare = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

async function insertPending(
  tx: SqlTx,
  projectId: number,
  groups: PendingGroup[],
  now: Date,
  dropped: DroppedSpans[],
) {
  if (groups.length === 0) return;
  const [waiting] = await tx.rows<{ spans: number }>`
    select coalesce(sum(span_count), 0)::int as spans from pending_spans where project_id = ${projectId}`;
  let room = MAX_PENDING_SPANS - waiting!.spans;
  const kept: PendingGroup[] = [];
  for (const group of groups) {
    if (group.spans.length <= room) {
      kept.push(group);
      room -= group.spans.length;
    } else
      dropped.push({
        category: "span",
        outcome: "rate_limited",
        reason: "backlog_full",
        quantity: group.spans.length,
      });
  }
  if (kept.length === 0) return;
  await tx.run`
    insert into pending_spans (project_id, segment_id, span_count, spans, received_at)
    select ${projectId}::int, segment_id, span_count, spans::json, ${now.toISOString()}::timestamptz
    from rows from (unnest(${kept.map((g) => g.segmentId)}::text[]), unnest(${kept.map((g) => g.spans.length)}::int[]),
      string_to_table(${joinDocuments(kept.map((g) => Buffer.from(JSON.stringify(g.spans))))}::text, ${SEPARATOR}))
      as x(segment_id, span_count, spans)`;
}
