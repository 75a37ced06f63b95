import type { PreparedTransaction } from "../events/prepare";
import { fitDocument } from "./fit-document";
import { MAX_SPANS } from "./spans";
import type { SpanOutcome } from "./transaction-document";
import type { StoredSpan } from "./types";

/**
 * A prepared transaction with spans that came apart from it (a streamed segment's children
 * sent before it) added to its document: a copy, the original left as it was, since a batch
 * stored again in halves (process-batch.ts) merges again. Spans already in the document (the
 * same span sent twice) are skipped; the total stays within MAX_SPANS and the document within
 * its bound (fit-document.ts), what is left out counted as the document counts its own.
 */
export function withSpans(transaction: PreparedTransaction, extra: StoredSpan[]): PreparedTransaction {
  const doc = JSON.parse(transaction.payloadJson.toString("utf8")) as Record<string, unknown>;
  const spans = (Array.isArray(doc.spans) ? doc.spans : []) as StoredSpan[];
  const ids = new Set(spans.map((span) => span.span_id));
  let added = 0;
  let overLimit = 0;
  for (const span of extra) {
    if (ids.has(span.span_id)) continue;
    ids.add(span.span_id);
    added++;
    if (spans.length === MAX_SPANS) overLimit++;
    else spans.push(span);
  }
  if (added === 0) return transaction;
  doc.spans = spans;
  const fitted = fitDocument(doc, spans);
  const spanOutcomes: SpanOutcome[] = [...transaction.spanOutcomes];
  const notes: Record<string, unknown>[] = [];
  if (overLimit > 0) {
    spanOutcomes.push({ reason: "too_many_spans", quantity: overLimit });
    notes.push({ type: "too_many_spans", name: "spans", dropped: overLimit });
  }
  if (fitted.droppedSpans > 0) {
    spanOutcomes.push({ reason: "too_large", quantity: fitted.droppedSpans });
    notes.push({ type: "too_large", name: "spans", dropped: fitted.droppedSpans });
  }
  if (notes.length > 0) doc.errors = [...(Array.isArray(doc.errors) ? doc.errors : []), ...notes];
  return {
    ...transaction,
    columns: { ...transaction.columns, spanCount: transaction.columns.spanCount + added },
    payloadJson: notes.length > 0 ? Buffer.from(JSON.stringify(doc)) : fitted.json,
    spanOutcomes,
  };
}
