import {
  type Attributes,
  numberAttribute,
  plainAttributes,
  readAttributes,
  stringAttribute,
} from "./span-attributes";
import { sentryStatus } from "./span-status";

// Streamed spans: what SDKs send instead of transactions when they stream (the default of
// @sentry/node and @sentry/browser 11). A `span` item holds a v2 container
// `{"version": 2, "items": [span, ...]}`, or, from older senders, one v1 span. The spans of a
// container are one trace's, from one or more segments (the root span of a transaction); a
// segment's children may come in an earlier container than the segment itself.

/** One span read and validated, whichever version it came in. */
export type StreamedSpan = {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  /** the span id of the segment it belongs to: its own for a segment */
  segmentId: string;
  isSegment: boolean;
  name: string;
  /** epoch seconds */
  start: number;
  end: number;
  /** Sentry's status (ok, internal_error, not_found, ...) */
  status: string;
  attributes: Attributes;
  /** what the SDK repeats on every span of the segment (span-attributes.ts SHARED_ATTRIBUTES) */
  shared: Attributes;
};

/** An SDK sends at most 1,000 spans in a container (its span buffer's limit). */
export const MAX_CONTAINER_SPANS = 1000;
const MAX_NAME = 2000;
// Epoch seconds of years 1970..9999: past that no SDK's clock, and toISOString throws.
const LATEST_SECONDS = Date.UTC(9999, 11, 31) / 1000;

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const hex = (value: unknown, pattern: RegExp): string | null => {
  if (typeof value !== "string" || value.length > 32) return null;
  const lower = value.toLowerCase();
  return pattern.test(lower) ? lower : null;
};

/** Why a whole container cannot be read: the item is refused (counted, kept as a dead letter). */
export class SpanContainerError extends Error {
  override name = "SpanContainerError";
}

export type ContainerRead = { spans: StreamedSpan[]; invalid: number };

/** The valid spans of a container (or of one v1 span) and how many spans were not. */
export function readSpanContainer(payload: Record<string, unknown>): ContainerRead {
  if (!("items" in payload)) {
    const span = readV1Span(payload);
    return span ? { spans: [span], invalid: 0 } : { spans: [], invalid: 1 };
  }
  if (payload.version !== 2)
    throw new SpanContainerError(`span container version ${String(payload.version).slice(0, 20)} is not 2`);
  if (!Array.isArray(payload.items)) throw new SpanContainerError("span container items is not an array");
  if (payload.items.length > MAX_CONTAINER_SPANS)
    throw new SpanContainerError(
      `span container holds ${payload.items.length} spans, more than ${MAX_CONTAINER_SPANS}`,
    );
  const read: ContainerRead = { spans: [], invalid: 0 };
  for (const item of payload.items) {
    const span = readV2Span(item);
    if (span) read.spans.push(span);
    else read.invalid++;
  }
  return read;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function readV2Span(raw: unknown): StreamedSpan | null {
  if (!isObject(raw)) return null;
  const { attributes, shared } = readAttributes(raw.attributes);
  const isSegment = raw.is_segment === true;
  return validated(raw, {
    end: raw.end_timestamp,
    name: raw.name,
    isSegment,
    segmentId: isSegment ? raw.span_id : shared["sentry.segment.id"],
    status: sentryStatus(raw.status, numberAttribute(attributes, "http.response.status_code")),
    attributes,
    shared,
  });
}

// Relay's v1 span item: a transaction's span with its segment_id and is_segment, `description`
// for the name, `timestamp` for the end, `op` and `data` of its own.
function readV1Span(raw: Json): StreamedSpan | null {
  const { attributes, shared } = plainAttributes(raw.data);
  const op = typeof raw.op === "string" && raw.op !== "" ? raw.op : stringAttribute(attributes, "sentry.op");
  if (op !== undefined) attributes["sentry.op"] = op;
  const isSegment = raw.is_segment === true;
  return validated(raw, {
    end: raw.timestamp,
    name: raw.description,
    isSegment,
    segmentId: isSegment ? raw.span_id : raw.segment_id,
    status: sentryStatus(raw.status, numberAttribute(attributes, "http.response.status_code")),
    attributes,
    shared,
  });
}

type Fields = {
  end: unknown;
  name: unknown;
  isSegment: boolean;
  segmentId: unknown;
  status: string;
  attributes: Attributes;
  shared: Attributes;
};

function validated(raw: Json, fields: Fields): StreamedSpan | null {
  const traceId = hex(raw.trace_id, HEX32);
  const spanId = hex(raw.span_id, HEX16);
  const segmentId = hex(fields.segmentId, HEX16);
  const parentSpanId =
    raw.parent_span_id === undefined || raw.parent_span_id === null ? null : hex(raw.parent_span_id, HEX16);
  const start = seconds(raw.start_timestamp);
  const end = seconds(fields.end);
  if (!traceId || !spanId || !segmentId || start === null || end === null || end < start) return null;
  if (parentSpanId === null && raw.parent_span_id !== undefined && raw.parent_span_id !== null) return null;
  const name = typeof fields.name === "string" ? fields.name.slice(0, MAX_NAME) : "";
  return {
    traceId,
    spanId,
    parentSpanId,
    segmentId,
    isSegment: fields.isSegment,
    name,
    start,
    end,
    status: fields.status,
    attributes: fields.attributes,
    shared: fields.shared,
  };
}

const seconds = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= LATEST_SECONDS ? value : null;

export type Segment = { segment: StreamedSpan; children: StreamedSpan[] };
export type Grouped = {
  segments: Segment[];
  /** spans whose segment is not in this container, by segment id, in the order sent */
  orphans: Map<string, StreamedSpan[]>;
  /** spans sent twice in the container (same span id): the first is kept */
  duplicates: number;
};

/** Spans by the segment they belong to. */
export function groupBySegment(spans: StreamedSpan[]): Grouped {
  const seen = new Set<string>();
  const bySegment = new Map<string, { segment?: StreamedSpan; children: StreamedSpan[] }>();
  let duplicates = 0;
  for (const span of spans) {
    if (seen.has(span.spanId)) {
      duplicates++;
      continue;
    }
    seen.add(span.spanId);
    let group = bySegment.get(span.segmentId);
    if (!group) {
      group = { children: [] };
      bySegment.set(span.segmentId, group);
    }
    if (span.isSegment) group.segment = span;
    else group.children.push(span);
  }
  const grouped: Grouped = { segments: [], orphans: new Map(), duplicates };
  for (const [segmentId, { segment, children }] of bySegment) {
    if (segment) grouped.segments.push({ segment, children });
    else grouped.orphans.set(segmentId, children);
  }
  return grouped;
}
