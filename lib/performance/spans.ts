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
  const spanId = idOf(raw.span_id, 16);
  const start = seconds(raw.start_timestamp);
  const end = seconds(raw.timestamp);
  if (spanId === null || start === undefined || end === undefined || end < start) return null;
  const span: StoredSpan = { span_id: spanId, start_timestamp: start, timestamp: end };
  let trimmed = false;
  const parent = idOf(raw.parent_span_id, 16);
  if (parent !== null) span.parent_span_id = parent;
  const traceId = idOf(raw.trace_id, 32);
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

// Fast paths for what SDKs send, a thousand times per transaction at most: ids already in
// lowercase hex, timestamps as epoch seconds. Anything else goes through the general parsers.

/** A span id (16) or trace id (32) as lowercase hex; null when it is none. */
function idOf(value: unknown, length: 16 | 32): string | null {
  if (typeof value !== "string") return null;
  if (value.length === length && isLowerHex(value)) return value;
  return length === 16 ? hex16(value) : hex32(value);
}

function isLowerHex(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Epoch seconds of a span timestamp (as parseTimestamp reads it); undefined when it is none. */
function seconds(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && Math.abs(value) <= MAX_SECONDS ? value : undefined;
  const ms = parseTimestamp(value);
  return ms === undefined ? undefined : ms / 1000;
}
// parseTimestamp's bound: JavaScript's dates
const MAX_SECONDS = 8.64e12;

function text(value: unknown, max: number): string | undefined {
  return typeof value === "string" && value !== "" ? truncate(value, max) : undefined;
}
