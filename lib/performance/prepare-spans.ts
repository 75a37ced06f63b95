import { InvalidItemError } from "../events/invalid-item";
import type { NormalizeContext } from "../events/normalize";
import type { PreparedTransaction } from "../events/prepare";
import { parseJsonObject } from "../events/sanitize";
import { limitDepth, scrubEvent } from "../events/scrub";
import type { StreamEntry } from "../events/stream";
import type { OutcomeReason } from "../usage/outcome-values";
import { segmentEventId, segmentTransaction, transactionSpan } from "./segment-transaction";
import { groupBySegment, readSpanContainer, SpanContainerError } from "./span-stream";
import { normalizeSpans } from "./spans";
import { prepareTransaction } from "./transaction-document";
import type { StoredSpan } from "./types";

/** Spans of one segment that came without it: stored until it comes (pending-spans.ts). */
export type PendingGroup = { segmentId: string; spans: StoredSpan[] };
/** What the worker drops of a container, counted as invalid outcomes once its batch is stored. */
export type DroppedSpans = {
  category: "span" | "transaction";
  reason: OutcomeReason;
  quantity: number;
  /** invalid unless it says (spans past the pending bound are rate_limited) */
  outcome?: "rate_limited";
};

/** A `span` item prepared: its segments' transactions (which join the batch's), the rest. */
export type PreparedSpans = {
  entryId: string;
  /** the transactions this container's segments became, by segment span id */
  segments: Map<string, PreparedTransaction>;
  pending: PendingGroup[];
  dropped: DroppedSpans[];
};

/**
 * Reads a span container (span-stream.ts): each segment in it becomes a transaction, with its
 * children from the container, prepared exactly as a `transaction` item is; children of
 * segments not in it become pending groups, validated, scrubbed
 * and bounded as a transaction's spans are. Invalid spans are dropped and counted; a container
 * that cannot be read at all is an InvalidItemError.
 */
export function prepareSpans(entry: StreamEntry, ctx: NormalizeContext): PreparedSpans {
  const prepared: PreparedSpans = { entryId: entry.id, segments: new Map(), pending: [], dropped: [] };
  const drop = (category: DroppedSpans["category"], reason: OutcomeReason, quantity: number) => {
    if (quantity > 0) prepared.dropped.push({ category, reason, quantity });
  };
  let read: ReturnType<typeof readSpanContainer>;
  try {
    read = readSpanContainer(parseJsonObject(entry.payload));
  } catch (error) {
    if (error instanceof SpanContainerError) throw new InvalidItemError("invalid_span", error.message);
    throw error;
  }
  const grouped = groupBySegment(read.spans);
  drop("span", "invalid_span", read.invalid + grouped.duplicates);

  for (const { segment, children } of grouped.segments) {
    const raw = segmentTransaction(segment, children);
    try {
      const document = prepareTransaction(raw, {
        ...ctx,
        eventId: segmentEventId(segment.traceId, segment.spanId),
      });
      prepared.segments.set(segment.spanId, { entryId: entry.id, ...document });
    } catch (error) {
      if (!(error instanceof InvalidItemError)) throw error;
      // the segment is what Relay refuses (ends before it starts, open for 30 days): its
      // transaction is invalid, and its children have nowhere to go
      drop("transaction", error.reason, 1);
      drop("span", "invalid_span", children.length);
    }
  }

  for (const [segmentId, children] of grouped.orphans) {
    // scrubbed as a transaction's spans are: by scrubEvent over the document (sensitive keys,
    // card numbers, URLs), then by normalizeSpans (SQL, OTel's URL attributes)
    const raw = { spans: children.map(transactionSpan) };
    if (ctx.scrub) scrubEvent(raw);
    else limitDepth(raw);
    const result = normalizeSpans(raw.spans, ctx.scrub);
    drop("span", "invalid_span", result.invalid);
    drop("span", "too_many_spans", result.overLimit);
    if (result.spans.length > 0) prepared.pending.push({ segmentId, spans: result.spans });
  }
  return prepared;
}
