import type { SqlTx } from "../db";
import { joinDocuments, SEPARATOR } from "../events/joined-documents";
import { mergeSpans } from "./merge-spans";
import type { DroppedSpans, PendingGroup } from "./prepare-spans";
import { segmentEventId } from "./segment-transaction";
import type { StoredSpan } from "./types";

/**
 * Spans that ended after their segment was sent (an SDK sends a segment 500 ms after it ends;
 * work a request started may outlive it) join the segment's transaction when it is already
 * stored: its document and span count are updated in the batch transaction. Returns the groups
 * whose segment is not stored, which wait for it. One indexed read per batch that has such
 * groups; a static SDK drops these spans instead.
 */
export async function joinStoredSegments(
  tx: SqlTx,
  projectId: number,
  groups: PendingGroup[],
  dropped: DroppedSpans[],
): Promise<PendingGroup[]> {
  const byEvent = new Map<string, { groups: PendingGroup[]; spans: StoredSpan[] }>();
  for (const group of groups) {
    const traceId = group.spans.find((span) => span.trace_id)?.trace_id;
    if (!traceId) continue;
    const eventId = segmentEventId(traceId, group.segmentId);
    const entry = byEvent.get(eventId) ?? { groups: [], spans: [] };
    entry.groups.push(group);
    for (const span of group.spans) entry.spans.push(span);
    byEvent.set(eventId, entry);
  }
  if (byEvent.size === 0) return groups;
  const rows = await tx.rows<{ event_id: string; payload: string }>`
    select event_id, payload::text as payload from transactions
    where project_id = ${projectId} and event_id = any(${[...byEvent.keys()]}::text[])
    order by event_id for update`;
  if (rows.length === 0) return groups;

  const joined = new Set<PendingGroup>();
  const updates: { eventId: string; added: number; json: Buffer }[] = [];
  for (const row of rows) {
    const entry = byEvent.get(row.event_id)!;
    for (const group of entry.groups) joined.add(group);
    const merged = mergeSpans(Buffer.from(row.payload), entry.spans);
    for (const outcome of merged.spanOutcomes) dropped.push({ category: "span", ...outcome });
    if (merged.added > 0) updates.push({ eventId: row.event_id, added: merged.added, json: merged.json });
  }
  if (updates.length > 0)
    await tx.run`
      update transactions t set payload = x.payload::json, span_count = t.span_count + x.added
      from rows from (unnest(${updates.map((u) => u.eventId)}::text[]), unnest(${updates.map((u) => u.added)}::int[]),
        string_to_table(${joinDocuments(updates.map((u) => u.json))}::text, ${SEPARATOR})) as x(event_id, added, payload)
      where t.project_id = ${projectId} and t.event_id = x.event_id`;
  return groups.filter((group) => !joined.has(group));
}
