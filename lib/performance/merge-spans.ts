import type { PreparedTransaction } from "../events/prepare";
import { fitDocument } from "./fit-document";
import { MAX_SPANS } from "./spans";
import type { SpanOutcome } from "./transaction-document";
import type { StoredSpan } from "./types";

export type Merged = {
  /** the document with the spans added; the one given when none was new */
  json: Buffer;
  /** spans new to the document (kept or counted as left out) */
  added: number;
  spanOutcomes: SpanOutcome[];
};

/**
 * A transaction document (UTF-8 JSON) with spans that came apart from it added: a streamed
 * segment's children sent before it, or after it was stored. Spans already in the document
 * (the same span sent twice) are skipped; the total stays within MAX_SPANS and the document
 * within its bound (fit-document.ts), what is left out counted and noted in the document's
 * errors as transaction-document.ts counts and notes its own.
 */
export function mergeSpans(json: Buffer, extra: StoredSpan[]): Merged {
  const doc = JSON.parse(json.toString("utf8")) as Record<string, unknown>;
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
  if (added === 0) return { json, added, spanOutcomes: [] };
  doc.spans = spans;
  const fitted = fitDocument(doc, spans);
  const spanOutcomes: SpanOutcome[] = [];
  const notes: Record<string, unknown>[] = [];
  if (overLimit > 0) {
    spanOutcomes.push({ reason: "too_many_spans", quantity: overLimit });
    notes.push({ type: "too_many_spans", name: "spans", dropped: overLimit });
  }
  if (fitted.droppedSpans > 0) {
    spanOutcomes.push({ reason: "too_large", quantity: fitted.droppedSpans });
    notes.push({ type: "too_large", name: "spans", dropped: fitted.droppedSpans });
  }
  if (notes.length === 0) return { json: fitted.json, added, spanOutcomes };
  doc.errors = [...(Array.isArray(doc.errors) ? doc.errors : []), ...notes];
  return { json: Buffer.from(JSON.stringify(doc)), added, spanOutcomes };
}

/**
 * A prepared transaction with `extra` spans merged in: a copy, the original left as it was,
 * since a batch stored again in halves (process-batch.ts) merges again.
 */
export function withSpans(transaction: PreparedTransaction, extra: StoredSpan[]): PreparedTransaction {
  const merged = mergeSpans(transaction.payloadJson, extra);
  if (merged.added === 0) return transaction;
  return {
    ...transaction,
    columns: { ...transaction.columns, spanCount: transaction.columns.spanCount + merged.added },
    payloadJson: merged.json,
    spanOutcomes: [...transaction.spanOutcomes, ...merged.spanOutcomes],
  };
}
