import { InvalidItemError } from "../events/invalid-item";
import { type NormalizeContext, normalizeEvent, parseTimestamp } from "../events/normalize";
import { fitDocument } from "./fit-document";
import { hex16, hex32 } from "./ids";
import { detectNPlusOne, type NPlusOne } from "./n-plus-one";
import { boundedSpanData, isObject, truncate } from "./span-data";
import { normalizeSpans } from "./spans";
import { sanitizeUrlTransactionName } from "./transaction-name";

/** The columns of a transactions row (and its group's key: name, op, method). */
export type TransactionColumns = {
  eventId: string;
  name: string;
  op: string;
  method: string;
  status: string;
  /** 32 lowercase hex (stored as uuid); null when absent or malformed */
  traceId: string | null;
  spanId: string;
  parentSpanId: string | null;
  start: Date;
  timestamp: Date;
  /** to the microsecond the SDK sent, unlike start and timestamp */
  durationMs: number;
  release: string | null;
  environment: string | null;
  /** spans the SDK sent; the document keeps at most 1,000 */
  spanCount: number;
};

/** Spans the document left out, counted as outcomes of category "span" once the row is stored. */
export type SpanOutcome = { reason: "invalid_span" | "too_many_spans" | "too_large"; quantity: number };

/**
 * A transaction ready to store: its columns and its document serialized to UTF-8 (the parsed
 * tree is dropped, as prepare.ts does with events).
 */
export type TransactionDocument = {
  columns: TransactionColumns;
  payloadJson: Buffer;
  spanOutcomes: SpanOutcome[];
  /** N+1 queries in its stored spans, made into events by prepare.ts (n-plus-one-event.ts) */
  nPlusOne?: readonly NPlusOne[];
};

/** Sentry's name for a transaction that has none. */
export const UNLABELED = "<unlabeled transaction>";
// Longer than any transaction an SDK keeps open (their idle and final timeouts are seconds to
// minutes), and the longest duration a sketch tells apart.
const MAX_DURATION_MS = 30 * 86_400_000;
const MAX_OP = 200;
const MAX_STATUS = 64;
const MAX_METHOD = 16;
const MAX_MEASUREMENTS = 50;
const METHOD = /^[A-Z][A-Z0-9_-]*$/;

/**
 * Turns a transaction item (parsed JSON) into its row and stored document: the event as
 * normalizeEvent makes it (scrubbed, clock-corrected, tags built) with contexts.trace and
 * measurements bounded, `spans` validated, scrubbed and capped (spans.ts), all within the
 * document bound (fit-document.ts). A transaction without a valid start and end, ending
 * before it starts or open longer than 30 days is refused, as Relay refuses it: an
 * InvalidItemError (counted invalid, kept as a dead letter).
 */
export function prepareTransaction(raw: Record<string, unknown>, ctx: NormalizeContext): TransactionDocument {
  // Before normalizeEvent, which puts the receive time in for a missing timestamp and keeps
  // dates to the millisecond.
  const startMs = parseTimestamp(raw.start_timestamp);
  const endMs = parseTimestamp(raw.timestamp);
  if (startMs === undefined || endMs === undefined)
    throw new InvalidItemError("invalid_transaction", "transaction without a valid start_timestamp and timestamp");
  if (endMs < startMs) throw new InvalidItemError("invalid_transaction", "transaction ends before it starts");
  if (endMs - startMs > MAX_DURATION_MS) throw new InvalidItemError("invalid_transaction", "transaction longer than 30 days");

  // before normalizeEvent, as Relay does, so the `transaction` tag is the scrubbed name too
  sanitizeUrlTransactionName(raw);
  const event = normalizeEvent(raw, ctx);
  const doc = event.payload;
  const trace = boundedTrace(doc, ctx.scrub);
  boundMeasurements(doc);
  const result = normalizeSpans(doc.spans, ctx.scrub);
  doc.spans = result.spans;
  const fitted = fitDocument(doc, result.spans);

  const spanOutcomes: SpanOutcome[] = [];
  const notes: Record<string, unknown>[] = [];
  const count = (reason: SpanOutcome["reason"], quantity: number, note: Record<string, unknown>) => {
    if (quantity === 0) return;
    spanOutcomes.push({ reason, quantity });
    notes.push(note);
  };
  count("invalid_span", result.invalid, { type: "invalid_data", name: "spans", dropped: result.invalid });
  count("too_many_spans", result.overLimit, { type: "too_many_spans", name: "spans", dropped: result.overLimit });
  count("too_large", fitted.droppedSpans, { type: "too_large", name: "spans", dropped: fitted.droppedSpans });
  if (result.trimmed > 0) notes.push({ type: "value_too_long", name: "spans", trimmed: result.trimmed });
  if (fitted.removed.length > 0)
    // within fit-document's reserve for these notes, whatever keys the SDK sent
    notes.push({ type: "too_large", removed: fitted.removed.slice(0, 10).map((name) => truncate(name, 40)) });
  const payloadJson = notes.length === 0 ? fitted.json : withNotes(doc, notes);

  return {
    columns: {
      eventId: event.eventId,
      name: event.transaction ?? UNLABELED,
      op: trace.op ?? "",
      method: methodOf(trace, doc.request),
      status: trace.status ?? "",
      traceId: hex32(str(trace.trace_id)),
      spanId: hex16(str(trace.span_id)) ?? "",
      parentSpanId: hex16(str(trace.parent_span_id)),
      // normalizeEvent sets startTimestamp whenever start_timestamp parses (shifted like timestamp)
      start: event.startTimestamp ?? new Date(event.timestamp.getTime() - (endMs - startMs)),
      timestamp: event.timestamp,
      durationMs: endMs - startMs,
      release: event.release ?? null,
      environment: event.environment ?? null,
      spanCount: result.sent,
    },
    payloadJson,
    spanOutcomes,
    nPlusOne: detectNPlusOne(result.spans),
  };
}

type Trace = { op?: string; status?: string; trace_id?: unknown; span_id?: unknown; parent_span_id?: unknown; data?: Record<string, unknown> };

/** contexts.trace (the transaction's root span) rebuilt from what it should hold, within bounds. */
function boundedTrace(doc: Record<string, unknown>, scrub: boolean): Trace {
  const contexts = isObject(doc.contexts) ? doc.contexts : {};
  const raw = isObject(contexts.trace) ? contexts.trace : {};
  const trace: Trace & Record<string, unknown> = {};
  const traceId = hex32(str(raw.trace_id));
  const spanId = hex16(str(raw.span_id));
  const parentSpanId = hex16(str(raw.parent_span_id));
  if (traceId) trace.trace_id = traceId;
  if (spanId) trace.span_id = spanId;
  if (parentSpanId) trace.parent_span_id = parentSpanId;
  const op = str(raw.op);
  if (op) trace.op = truncate(op, MAX_OP);
  const status = str(raw.status);
  if (status) trace.status = truncate(status, MAX_STATUS);
  const origin = str(raw.origin);
  if (origin) trace.origin = truncate(origin, MAX_OP);
  // scrubEvent already ran over the whole document; this bounds the copy and scrubs SQL and URLs
  const { data } = boundedSpanData(raw.data, scrub);
  if (data) trace.data = data;
  contexts.trace = trace;
  doc.contexts = contexts;
  return trace;
}

/** The root span's HTTP method (OTel's old and new attribute names), else the request's. */
function methodOf(trace: Trace, request: unknown): string {
  const data = trace.data ?? {};
  const sent = str(data["http.method"]) ?? str(data["http.request.method"]) ?? (isObject(request) ? str(request.method) : null);
  const method = sent?.trim().toUpperCase() ?? "";
  return method.length <= MAX_METHOD && METHOD.test(method) ? method : "";
}

/** Web vitals and the like: `{name: {value, unit?}}`, numbers only, at most 50. */
function boundMeasurements(doc: Record<string, unknown>): void {
  if (!isObject(doc.measurements)) {
    doc.measurements = undefined;
    return;
  }
  const kept: Record<string, { value: number; unit?: string }> = {};
  let count = 0;
  for (const name in doc.measurements) {
    if (count === MAX_MEASUREMENTS) break;
    const entry = doc.measurements[name];
    if (!isObject(entry) || typeof entry.value !== "number" || !Number.isFinite(entry.value)) continue;
    const unit = str(entry.unit);
    kept[truncate(name, MAX_OP)] = unit ? { value: entry.value, unit: truncate(unit, 32) } : { value: entry.value };
    count++;
  }
  doc.measurements = count > 0 ? kept : undefined;
}

/** The document with what trimming did recorded in its `errors`, as Relay records its own. */
function withNotes(doc: Record<string, unknown>, notes: Record<string, unknown>[]): Buffer {
  doc.errors = [...(Array.isArray(doc.errors) ? doc.errors : []), ...notes];
  return Buffer.from(JSON.stringify(doc));
}

const str = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);
