import { randomBytes } from "node:crypto";
import { envelope } from "./envelopes";

// Span v2 items shaped as @sentry/node 11 sends them by default (captured from
// tests/support/span-stream/app.mjs), for tests that craft what the real SDK sends only by
// timing: children before their segment, resends, hostile variants.

export const spanId = () => randomBytes(8).toString("hex");
export const traceId = () => randomBytes(16).toString("hex");
export const attr = (value: unknown, type = typeof value === "number" ? "integer" : typeof value) => ({
  value,
  type,
});

export type Ids = { trace: string; segment: string };
export const newIds = (): Ids => ({ trace: traceId(), segment: spanId() });

/** A child span of the segment `ids.segment` (a db query unless overridden). */
export function streamedSpan(
  ids: Ids,
  overrides: Record<string, unknown> = {},
  attributes: Record<string, unknown> = {},
) {
  const end = (overrides.end_timestamp as number | undefined) ?? Date.now() / 1000;
  return {
    name: "SELECT * FROM products WHERE id = $1",
    span_id: spanId(),
    trace_id: ids.trace,
    parent_span_id: ids.segment,
    start_timestamp: end - 0.009,
    end_timestamp: end,
    is_segment: false,
    status: "ok",
    attributes: {
      "sentry.origin": attr("manual"),
      "sentry.op": attr("db"),
      "sentry.trace_lifecycle": attr("stream"),
      "sentry.segment.name": attr("GET"),
      "sentry.segment.id": attr(ids.segment),
      "sentry.sdk.name": attr("sentry.javascript.node"),
      "sentry.sdk.version": attr("11.12.0"),
      "sentry.release": attr("shop@1.2.3"),
      "sentry.environment": attr("production"),
      "db.system": attr("postgresql"),
      ...attributes,
    },
    ...overrides,
  };
}

/** The http.server segment `ids.segment` of GET /api/products, 100 ms long, ending now. */
export function streamedSegment(
  ids: Ids,
  overrides: Record<string, unknown> = {},
  attributes: Record<string, unknown> = {},
) {
  const end = (overrides.end_timestamp as number | undefined) ?? Date.now() / 1000;
  return streamedSpan(
    ids,
    {
      name: "GET",
      span_id: ids.segment,
      parent_span_id: undefined,
      is_segment: true,
      start_timestamp: end - 0.1,
      end_timestamp: end,
      ...overrides,
    },
    {
      "sentry.op": attr("http.server"),
      "sentry.origin": attr("auto.http.http_server"),
      "sentry.segment.name.source": attr("url"),
      "url.path": attr("/api/products"),
      "url.full": attr("http://shop.test/api/products?page=2"),
      "http.request.method": attr("GET"),
      "http.response.status_code": attr(200),
      "http.request.header.host": attr(["shop.test"], "array"),
      "user.ip_address": attr("10.0.0.7"),
      ...attributes,
    },
  );
}

/** An envelope of one span item holding `spans` (or a payload as given), as the SDK frames it. */
export function spanEnvelope(
  spans: unknown[] | string | Buffer,
  itemHeaders: Record<string, unknown> = {},
): Buffer {
  const payload = Array.isArray(spans) ? JSON.stringify({ version: 2, items: spans }) : spans;
  const count = Array.isArray(spans) ? spans.length : 1;
  return envelope(
    { sent_at: new Date().toISOString(), sdk: { name: "sentry.javascript.node", version: "11.12.0" } },
    [
      {
        type: "span",
        payload,
        headers: {
          item_count: count,
          content_type: "application/vnd.sentry.items.span.v2+json",
          ...itemHeaders,
        },
      },
    ],
  );
}

type TransactionItem = {
  transaction: string;
  start_timestamp: number;
  timestamp: number;
  release: string;
  environment: string;
  contexts: {
    trace: { trace_id: string; span_id: string; op: string; status: string; data: Record<string, unknown> };
  };
  spans: Record<string, unknown>[];
};

/**
 * The container @sentry/node 11 streams for what it sends in static mode as `transaction`
 * (tests/support/transactions.ts): the root span as the segment, each span a child, every one
 * with the attributes the SDK adds to all spans of a segment.
 */
export function containerOf(t: TransactionItem): { version: 2; items: Record<string, unknown>[] } {
  const { trace } = t.contexts;
  const typed = (data: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(data).map(([k, v]) => [k, attr(v)]));
  const common = {
    "sentry.trace_lifecycle": attr("stream"),
    "sentry.segment.name": attr(t.transaction),
    "sentry.segment.id": attr(trace.span_id),
    "sentry.sdk.name": attr("sentry.javascript.node"),
    "sentry.sdk.version": attr("11.12.0"),
    "sentry.release": attr(t.release),
    "sentry.environment": attr(t.environment),
  };
  const v2 = (span: Record<string, unknown>, fields: Record<string, unknown>) => ({
    trace_id: trace.trace_id,
    start_timestamp: span.start_timestamp,
    end_timestamp: span.timestamp,
    status: span.status === "ok" ? "ok" : "error",
    ...fields,
  });
  const segment = v2(
    { start_timestamp: t.start_timestamp, timestamp: t.timestamp, status: trace.status },
    {
      name: t.transaction,
      span_id: trace.span_id,
      is_segment: true,
      attributes: { ...typed(trace.data), "sentry.op": attr(trace.op), ...common },
    },
  );
  const children = t.spans.map((span) =>
    v2(span, {
      name: span.description,
      span_id: span.span_id,
      parent_span_id: span.parent_span_id,
      is_segment: false,
      attributes: {
        ...typed((span.data as Record<string, unknown>) ?? {}),
        "sentry.op": attr(span.op),
        ...common,
      },
    }),
  );
  return { version: 2, items: [...children, segment] };
}
