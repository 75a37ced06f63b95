import type { StoredSpan } from "./types";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * The spans of a stored transaction document as the API serves them (Sentry's span fields, in
 * the order the SDK sent them). The worker validated them when it stored the document; this
 * only keeps the API's shape whatever an older or damaged row holds: entries without a span id
 * or finite timestamps are left out.
 */
export function storedSpans(spans: unknown): StoredSpan[] {
  if (!Array.isArray(spans)) return [];
  const out: StoredSpan[] = [];
  for (const span of spans) {
    if (!isObject(span) || typeof span.span_id !== "string") continue;
    const start = span.start_timestamp;
    const end = span.timestamp;
    if (
      typeof start !== "number" ||
      typeof end !== "number" ||
      !Number.isFinite(start) ||
      !Number.isFinite(end)
    )
      continue;
    const stored: StoredSpan = { span_id: span.span_id, start_timestamp: start, timestamp: end };
    const parent = text(span.parent_span_id);
    if (parent !== undefined) stored.parent_span_id = parent;
    const trace = text(span.trace_id);
    if (trace !== undefined) stored.trace_id = trace;
    const op = text(span.op);
    if (op !== undefined) stored.op = op;
    const description = text(span.description);
    if (description !== undefined) stored.description = description;
    const status = text(span.status);
    if (status !== undefined) stored.status = status;
    if (isObject(span.tags)) stored.tags = span.tags as Record<string, string>;
    if (isObject(span.data)) stored.data = span.data;
    out.push(stored);
  }
  return out;
}
