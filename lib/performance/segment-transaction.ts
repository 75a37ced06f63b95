import { createHash } from "node:crypto";
import { type Attributes, stringAttribute } from "./span-attributes";
import type { StreamedSpan } from "./span-stream";

// A streamed segment made into the `transaction` item a static SDK would have sent for it, so
// it is stored, counted and shown exactly as one (transaction-document.ts takes it from here).

/**
 * The segment's transaction id: derived from its trace and span ids, so a container sent or
 * delivered twice makes the same transaction, which the store inserts once.
 */
export function segmentEventId(traceId: string, segmentId: string): string {
  return createHash("sha256").update(`${traceId}:${segmentId}`).digest("hex").slice(0, 32);
}

// Attributes every span of a segment repeats (the SDK adds them to each): they say nothing of
// the span, and 1,000 copies of them would crowd the document's bound.
const REPEATED = new Set([
  "sentry.segment.id",
  "sentry.segment.name",
  "sentry.segment.name.source",
  "sentry.sdk.name",
  "sentry.sdk.version",
  "sentry.sdk.integrations",
  "sentry.release",
  "sentry.environment",
  "sentry.trace_lifecycle",
]);

/** A segment and the children at hand as a raw `transaction` payload. */
export function segmentTransaction(segment: StreamedSpan, children: StreamedSpan[]): Record<string, unknown> {
  const a = segment.attributes;
  const method = stringAttribute(a, "http.request.method") ?? stringAttribute(a, "http.method");
  const transaction: Record<string, unknown> = {
    event_id: segmentEventId(segment.traceId, segment.spanId),
    type: "transaction",
    transaction: segmentName(segment, method),
    transaction_info: {
      source:
        stringAttribute(a, "sentry.segment.name.source") ?? stringAttribute(a, "sentry.source") ?? "custom",
    },
    start_timestamp: segment.start,
    timestamp: segment.end,
    platform: platformOf(stringAttribute(a, "sentry.sdk.name")),
    release: stringAttribute(a, "sentry.release"),
    environment: stringAttribute(a, "sentry.environment"),
    contexts: { trace: { ...spanFields(segment), data: spanData(a) } },
    spans: children.map(transactionSpan),
  };
  const sdkName = stringAttribute(a, "sentry.sdk.name");
  if (sdkName) transaction.sdk = { name: sdkName, version: stringAttribute(a, "sentry.sdk.version") ?? "" };
  const url = stringAttribute(a, "url.full") ?? stringAttribute(a, "http.url");
  if (method || url) transaction.request = { method, url };
  const user = {
    id: stringAttribute(a, "user.id"),
    email: stringAttribute(a, "user.email"),
    ip_address: stringAttribute(a, "user.ip_address"),
    username: stringAttribute(a, "user.name"),
  };
  if (user.id || user.email || user.ip_address || user.username) transaction.user = user;
  return transaction;
}

/** A child span in a transaction's `spans` shape. */
export function transactionSpan(span: StreamedSpan): Record<string, unknown> {
  return {
    ...spanFields(span),
    description: span.name,
    start_timestamp: span.start,
    timestamp: span.end,
    data: spanData(span.attributes),
  };
}

function spanFields(span: StreamedSpan) {
  return {
    trace_id: span.traceId,
    span_id: span.spanId,
    ...(span.parentSpanId ? { parent_span_id: span.parentSpanId } : {}),
    op: stringAttribute(span.attributes, "sentry.op"),
    status: span.status,
    origin: stringAttribute(span.attributes, "sentry.origin"),
  };
}

function spanData(attributes: Attributes): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key in attributes) if (!REPEATED.has(key)) data[key] = attributes[key];
  return data;
}

/**
 * The segment's name as static SDKs name its transaction: an HTTP server span the SDK names
 * after the method alone ("GET") becomes "GET /route" (or the path), as their span-to-
 * transaction naming does. Otherwise the segment's own name (the final one: a segment is sent
 * once it ended), then the sentry.segment.name its spans carry.
 */
function segmentName(segment: StreamedSpan, method: string | undefined): string {
  const a = segment.attributes;
  const name = segment.name || stringAttribute(a, "sentry.segment.name") || "";
  const target = stringAttribute(a, "http.route") ?? stringAttribute(a, "url.path");
  if (method && target && (name === "" || name.toUpperCase() === method.toUpperCase()))
    return `${method.toUpperCase()} ${target}`;
  return name;
}

function platformOf(sdkName: string | undefined): string {
  if (!sdkName) return "other";
  if (
    /^sentry\.javascript\.(node|bun|deno|nestjs|nextjs|aws-serverless|google-cloud-serverless)$/.test(sdkName)
  )
    return "node";
  if (sdkName.startsWith("sentry.javascript.")) return "javascript";
  const language = /^sentry\.([a-z]+)/.exec(sdkName)?.[1];
  return language &&
    ["python", "ruby", "php", "java", "go", "dotnet", "cocoa", "native", "elixir"].includes(language)
    ? language
    : "other";
}
