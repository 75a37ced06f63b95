import type { StoredSpan } from "./types";

// What the waterfall page reads from a transaction in Sentry's event shape (transactionEvent's
// answer, the same document the REST API serves), so the page and the API never disagree.
// Tolerant: every field is checked, a missing one reads as absent.

export type TransactionView = {
  eventId: string;
  projectId: string | null;
  name: string;
  op: string;
  status: string;
  traceId: string | null;
  spanId: string;
  parentSpanId: string | null;
  /** epoch seconds */
  startTimestamp: number;
  timestamp: number;
  release: string | null;
  environment: string | null;
  tags: { key: string; value: string }[];
  /** the root span's data (contexts.trace.data), such as http.method or the route */
  data: Record<string, unknown>;
  spans: StoredSpan[];
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);
const number = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

const isSpan = (value: unknown): value is StoredSpan => isObject(value) && typeof value.span_id === "string";

export function transactionView(event: Record<string, unknown>): TransactionView {
  const contexts = isObject(event.contexts) ? event.contexts : {};
  const trace = isObject(contexts.trace) ? contexts.trace : {};
  const entries = Array.isArray(event.entries) ? event.entries.filter(isObject) : [];
  const spansEntry = entries.find((e) => e.type === "spans");
  const tags = Array.isArray(event.tags)
    ? event.tags.filter(isObject).flatMap((t) => (typeof t.key === "string" && typeof t.value === "string" ? [{ key: t.key, value: t.value }] : []))
    : [];
  const release = isObject(event.release) ? text(event.release.version) : text(event.release);
  const end = number(event.endTimestamp) ?? 0;
  return {
    eventId: text(event.eventID) ?? text(event.id) ?? "",
    projectId: text(event.projectID),
    name: text(event.title) ?? text(event.location) ?? "<unlabeled transaction>",
    op: text(trace.op) ?? "",
    status: text(trace.status) ?? "unknown",
    traceId: text(trace.trace_id),
    spanId: text(trace.span_id) ?? "",
    parentSpanId: text(trace.parent_span_id),
    startTimestamp: number(event.startTimestamp) ?? end,
    timestamp: end,
    release,
    environment: text(event.environment) ?? tags.find((t) => t.key === "environment")?.value ?? null,
    tags,
    data: isObject(trace.data) ? trace.data : {},
    spans: Array.isArray(spansEntry?.data) ? spansEntry.data.filter(isSpan) : [],
  };
}
