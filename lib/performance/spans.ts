import { parseTimestamp } from "../events/normalize";
import { hex16, hex32 } from "./ids";
import { MAX_SPAN_TEXT, boundedSpanData, boundedTags, isObject, scrubDescription, truncate } from "./span-data";
import type { StoredSpan } from "./types";

/** Relay's limit of spans in one transaction; the first ones sent are kept. */
export const MAX_SPANS = 1000;
const MAX_OP = 200;
const MAX_STATUS = 64;

export type SpansResult = {
  spans: StoredSpan[];
  /** how many the SDK sent (span_count) */
  sent: number;
  /** dropped for lack of a valid span id or timestamps */
  invalid: number;
  /** dropped past MAX_SPANS */
  overLimit: number;
  /** kept with data or text cut short */
  trimmed: number;
};

/**
 * A transaction's `spans` as stored: each validated (span ids 16 hex, trace id 32 hex,
 * finite timestamps with the end not before the start) and bounded, at most MAX_SPANS in the
 * order sent. A span that fails validation is dropped (and counted); the transaction is kept.
 * Timestamps are stored as epoch seconds whatever form the SDK used.
 */
export function normalizeSpans(raw: unknown, scrub: boolean): SpansResult {
  const list = Array.isArray(raw) ? raw : [];
  const result: SpansResult = { spans: [], sent: list.length, invalid: 0, overLimit: 0, trimmed: 0 };
  for (const item of list) {
    if (result.spans.length === MAX_SPANS) {
      result.overLimit = list.length - result.spans.length - result.invalid;
      break;
    }
    const span = normalizeSpan(item, scrub);
    if (span === null) result.invalid++;
    else {
      if (span.trimmed) result.trimmed++;
      result.spans.push(span.span);
    }
  }
  return result;
}

function normalizeSpan(raw: unknown, scrub: boolean): { span: StoredSpan; trimmed: boolean } | null {
  if (!isObject(raw)) return null;
  const spanId = hex16(typeof raw.span_id === "string" ? raw.span_id : null);
  const start = parseTimestamp(raw.start_timestamp);
  const end = parseTimestamp(raw.timestamp);
  if (spanId === null || start === undefined || end === undefined || end < start) return null;
  const span: StoredSpan = { span_id: spanId, start_timestamp: start / 1000, timestamp: end / 1000 };
  let trimmed = false;
  const parent = hex16(typeof raw.parent_span_id === "string" ? raw.parent_span_id : null);
  if (parent !== null) span.parent_span_id = parent;
  const traceId = hex32(typeof raw.trace_id === "string" ? raw.trace_id : null);
  if (traceId !== null) span.trace_id = traceId;
  const op = text(raw.op, MAX_OP);
  if (op !== undefined) span.op = op;
  if (typeof raw.description === "string" && raw.description !== "") {
    trimmed ||= raw.description.length > MAX_SPAN_TEXT;
    const description = truncate(raw.description, MAX_SPAN_TEXT);
    span.description = scrub ? scrubDescription(op, description) : description;
  }
  const status = text(raw.status, MAX_STATUS);
  if (status !== undefined) span.status = status;
  const tags = boundedTags(raw.tags);
  if (tags !== undefined) span.tags = tags;
  const { data, trimmed: dataTrimmed } = boundedSpanData(raw.data, scrub);
  if (data !== undefined) span.data = data;
  return { span, trimmed: trimmed || dataTrimmed };
}

function text(value: unknown, max: number): string | undefined {
  return typeof value === "string" && value !== "" ? truncate(value, max) : undefined;
}
