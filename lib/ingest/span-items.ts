import { sanitizedJsonText } from "../events/sanitize";
import { checkJsonObjectShape } from "../protocol/envelope";
import { ProtocolError } from "../protocol/errors";
import { LIMITS } from "../protocol/limits";

// What ingest reads of a `span` item (a v2 container of streamed spans, or one v1 span): its
// size and shape, and how many segments it holds, since each segment becomes a transaction and
// counts against the org's transaction quota. The worker validates the rest.

/** An SDK's span buffer sends at most this many spans in one container. */
export const MAX_SPANS_PER_ITEM = 1000;

const SEGMENT_KEY = Buffer.from('"is_segment"');
const TRUE = Buffer.from("true");
const NUL_BYTE = 0;
const UNICODE_ESCAPE = Buffer.from("\\u");

/** Checks a span item and counts its segments (spans with `"is_segment": true`). */
export function checkSpanItem(payload: Buffer, itemCount: unknown, what: string): { segments: number } {
  if (typeof itemCount === "number" && itemCount > MAX_SPANS_PER_ITEM)
    throw new ProtocolError(413, `${what} holds ${itemCount} spans, more than ${MAX_SPANS_PER_ITEM}`);
  checkJsonObjectShape(payload, what, LIMITS.spanItemBytes);
  return { segments: countSegments(payload, what) };
}

/**
 * The segments of a container, by a native byte search for the `"is_segment"` key followed by
 * `true`, rather than parsing megabytes of spans on the hot path. The count is never lower
 * than the worker's (which makes a transaction of each span whose parsed is_segment is true):
 * without escapes and NUL bytes, such a key can only be these bytes, and the sequence cannot
 * occur inside a string value. A payload with a `\u` escape or a NUL byte (which the worker's
 * sanitizing removes: `is_seg\u0000ment` is `is_segment` to it) is parsed the way the worker
 * parses it. A key elsewhere, or a duplicate one, counts more: only the sender's quota pays.
 */
export function countSegments(payload: Buffer, what: string): number {
  if (payload.indexOf(NUL_BYTE) !== -1 || payload.indexOf(UNICODE_ESCAPE) !== -1)
    return countParsed(payload, what);
  let count = 0;
  for (
    let at = payload.indexOf(SEGMENT_KEY);
    at !== -1;
    at = payload.indexOf(SEGMENT_KEY, at + SEGMENT_KEY.length)
  ) {
    const colon = skipSpace(payload, at + SEGMENT_KEY.length);
    if (payload[colon] !== 0x3a) continue;
    const value = skipSpace(payload, colon + 1);
    if (payload.subarray(value, value + TRUE.length).equals(TRUE)) count++;
  }
  return count;
}

function countParsed(payload: Buffer, what: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(sanitizedJsonText(payload));
  } catch {
    throw new ProtocolError(400, `${what} is not valid JSON`);
  }
  const container = parsed as { items?: unknown; is_segment?: unknown };
  if (!Array.isArray(container.items)) return container.is_segment === true ? 1 : 0;
  let count = 0;
  for (const span of container.items)
    if ((span as { is_segment?: unknown } | null)?.is_segment === true) count++;
  return count;
}

function skipSpace(payload: Buffer, at: number): number {
  let i = at;
  while (
    i < payload.length &&
    (payload[i] === 0x20 || payload[i] === 0x0a || payload[i] === 0x0d || payload[i] === 0x09)
  )
    i++;
  return i;
}
