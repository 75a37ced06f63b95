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

/** A segment and the children at hand as a raw `transaction` payload. */
export function segmentTransaction(segment: StreamedSpan, children: StreamedSpan[]): Record<string, unknown> {
  const a = segment.attributes;
  const shared = segment.shared;
  const method = stringAttribute(a, "http.request.method") ?? stringAttribute(a, "http.method");
  const transaction: Record<string, unknown> = {
    event_id: segmentEventId(segment.traceId, segment.spanId),
    type: "transaction",
    transaction: segmentName(segment, method),
    transaction_info: {
      source:
        stringAttribute(shared, "sentry.segment.name.source") ??
        stringAttribute(a, "sentry.source") ??
        "custom",
    },
    start_timestamp: segment.start,
    timestamp: segment.end,
    platform: platformOf(stringAttribute(shared, "sentry.sdk.name")),
    release: stringAttribute(shared, "sentry.release"),
    environment: stringAttribute(shared, "sentry.environment"),
    contexts: { trace: traceContext(segment) },
    spans: children.map(transactionSpan),
  };
  const sdkName = stringAttribute(shared, "sentry.sdk.name");
  if (sdkName)
    transaction.sdk = { name: sdkName, version: stringAttribute(shared, "sentry.sdk.version") ?? "" };
  const url = stringAttribute(a, "url.full") ?? stringAttribute(a, "http.url");
  if (method || url) transaction.request = { method, url };
  const measurements = webVitals(a);
  if (measurements) transaction.measurements = measurements;
  const user = {
    id: stringAttribute(a, "user.id"),
    email: stringAttribute(a, "user.email"),
    ip_address: stringAttribute(a, "user.ip_address"),
    username: stringAttribute(a, "user.name"),
  };
  if (user.id || user.email || user.ip_address || user.username) transaction.user = user;
  return transaction;
}

/** The segment as a transaction's root span (contexts.trace). */
function traceContext(segment: StreamedSpan): Record<string, unknown> {
  const { description, start_timestamp, timestamp, ...trace } = transactionSpan(segment);
  return trace;
}

/** A child span in a transaction's `spans` shape. */
export function transactionSpan(span: StreamedSpan): Record<string, unknown> {
  // one literal, no spread: a spread per span cost more than the rest of the conversion
  return {
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId ?? undefined,
    op: stringAttribute(span.attributes, "sentry.op"),
    status: span.status,
    origin: stringAttribute(span.attributes, "sentry.origin"),
    description: span.name,
    start_timestamp: span.start,
    timestamp: span.end,
    // the span's own attributes, read apart from what every span repeats (span-attributes.ts)
    data: span.attributes,
  };
}

/**
 * The segment's name as static SDKs name its transaction. SDK 11 gives a segment named from its
 * URL a fallback name and leaves the naming to the server: an HTTP server span named after the
 * method alone ("GET") becomes "GET /route" (or the path), and a browser page load or
 * navigation named "Pageload" / "Navigation" becomes the page's path, as static browser SDKs
 * named it (location.pathname). Otherwise the segment's own name (the final one: a segment is
 * sent once it ended), then the sentry.segment.name its spans carry.
 */
function segmentName(segment: StreamedSpan, method: string | undefined): string {
  const a = segment.attributes;
  const name = segment.name || stringAttribute(segment.shared, "sentry.segment.name") || "";
  const target = stringAttribute(a, "http.route") ?? stringAttribute(a, "url.path");
  if (method && target && (name === "" || name.toUpperCase() === method.toUpperCase()))
    return `${method.toUpperCase()} ${target}`;
  const page = BROWSER_FALLBACK_NAMES[stringAttribute(a, "sentry.op") ?? ""];
  if (page && (name === "" || name === page)) return pathOf(stringAttribute(a, "url.full")) ?? name;
  return name;
}

// The names @sentry/core's spanNames.js gives page loads and navigations named from their URL.
const BROWSER_FALLBACK_NAMES: Record<string, string> = { pageload: "Pageload", navigation: "Navigation" };

function pathOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

const WEB_VITAL = /^browser\.web_vital\.([a-z_]+)\.value$/;

/**
 * A streamed page load carries its web vitals as attributes (browser.web_vital.fcp.value, in
 * ms) where a static SDK sends them as the transaction's measurements: made measurements again.
 */
function webVitals(attributes: Attributes): Record<string, { value: number; unit: string }> | undefined {
  let measurements: Record<string, { value: number; unit: string }> | undefined;
  for (const key in attributes) {
    const name = WEB_VITAL.exec(key)?.[1];
    const value = attributes[key];
    if (name === undefined || typeof value !== "number") continue;
    measurements ??= {};
    measurements[name] = { value, unit: name === "cls" ? "none" : "millisecond" };
  }
  return measurements;
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
