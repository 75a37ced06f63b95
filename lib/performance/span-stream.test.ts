import { describe, expect, it } from "vitest";
import { segmentEventId, segmentTransaction } from "./segment-transaction";
import { sentryStatus } from "./span-status";
import { groupBySegment, MAX_CONTAINER_SPANS, readSpanContainer, SpanContainerError } from "./span-stream";
import { attr, streamedSegment, streamedSpan } from "../../tests/support/streamed-spans";

const TRACE = "24d9a1b2c3d4e5f60718293a4b5c6d7e";
const SEGMENT = "92cb000000000001";
const IDS = { trace: TRACE, segment: SEGMENT };

const span = (overrides: Record<string, unknown> = {}, attributes: Record<string, unknown> = {}) =>
  streamedSpan(
    IDS,
    {
      span_id: "9c0a000000000001",
      start_timestamp: 1796424809.772,
      end_timestamp: 1796424809.781,
      ...overrides,
    },
    attributes,
  );
const segment = (overrides: Record<string, unknown> = {}, attributes: Record<string, unknown> = {}) =>
  streamedSegment(
    IDS,
    {
      parent_span_id: "9da2000000000001",
      start_timestamp: 1796424809.7,
      end_timestamp: 1796424809.8,
      ...overrides,
    },
    attributes,
  );

describe("readSpanContainer", () => {
  it("reads an SDK container: ids, times, status, attributes as plain values", () => {
    const { spans, invalid } = readSpanContainer({ version: 2, items: [span(), segment()] });
    expect(invalid).toBe(0);
    expect(spans[0]).toMatchObject({
      traceId: TRACE,
      spanId: "9c0a000000000001",
      parentSpanId: SEGMENT,
      segmentId: SEGMENT,
      isSegment: false,
      start: 1796424809.772,
      end: 1796424809.781,
      status: "ok",
    });
    expect(spans[0]!.attributes["db.system"]).toBe("postgresql");
    expect(spans[1]).toMatchObject({ isSegment: true, segmentId: SEGMENT, parentSpanId: "9da2000000000001" });
    expect(spans[1]!.attributes["http.request.header.host"]).toEqual(["shop.test"]);
  });

  it("drops, and counts, spans with bad ids, times or segment; keeps a span with an odd attribute", () => {
    const { spans, invalid } = readSpanContainer({
      version: 2,
      items: [
        span({ span_id: "not-hex-at-all!!" }),
        span({ trace_id: "abc" }),
        span({ parent_span_id: 12 }),
        span({ start_timestamp: "yesterday" }),
        span({ end_timestamp: 1796424809.0 }),
        span({ start_timestamp: Number.POSITIVE_INFINITY }),
        span({}, { "sentry.segment.id": attr("zz") }),
        "a string",
        null,
        span(
          { span_id: "9C0A000000000002" },
          { deep: attr([[1, [2]]], "array"), object: attr({ a: 1 }, "object"), nan: attr(Number.NaN) },
        ),
      ],
    });
    expect(invalid).toBe(9);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.spanId).toBe("9c0a000000000002");
    expect(Object.keys(spans[0]!.attributes)).not.toContain("deep");
    expect(Object.keys(spans[0]!.attributes)).not.toContain("object");
    expect(Object.keys(spans[0]!.attributes)).not.toContain("nan");
  });

  it("bounds attributes: count, key length, string length, array length; never a prototype", () => {
    const many: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) many[`k${i}`] = attr("v");
    const hostile = JSON.parse(`{"__proto__": {"value": "polluted", "type": "string"}}`);
    const { spans } = readSpanContainer({
      version: 2,
      items: [
        span(
          {},
          {
            ...many,
            ["x".repeat(300)]: attr("long key"),
            huge: attr("y".repeat(100_000)),
            list: attr(Array(100).fill(1), "array"),
            ...hostile,
          },
        ),
      ],
    });
    const { attributes, shared } = spans[0]!;
    expect(Object.keys(attributes).length + Object.keys(shared).length).toBe(256);
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).value).toBeUndefined();
  });

  it("refuses a container of another version, items not a list, or more spans than an SDK sends", () => {
    expect(() => readSpanContainer({ version: 3, items: [] })).toThrow(SpanContainerError);
    expect(() => readSpanContainer({ version: 2, items: { 0: span() } })).toThrow(/not an array/);
    const items = Array.from({ length: MAX_CONTAINER_SPANS + 1 }, () => span());
    expect(() => readSpanContainer({ version: 2, items })).toThrow(/more than 1000/);
  });

  it("reads a v1 span (Relay's span item): description, timestamp, op, segment_id, data", () => {
    const { spans } = readSpanContainer({
      span_id: "9c0a000000000003",
      trace_id: TRACE,
      segment_id: SEGMENT,
      parent_span_id: SEGMENT,
      description: "SELECT 1",
      op: "db",
      start_timestamp: 1796424809.772,
      timestamp: 1796424809.781,
      status: "deadline_exceeded",
      data: { "db.system": "postgresql" },
    });
    expect(spans[0]).toMatchObject({
      name: "SELECT 1",
      segmentId: SEGMENT,
      status: "deadline_exceeded",
      end: 1796424809.781,
    });
    expect(spans[0]!.attributes).toMatchObject({ "sentry.op": "db", "db.system": "postgresql" });
  });
});

describe("groupBySegment", () => {
  it("puts children with their segment, keeps children of absent segments apart, drops repeated span ids", () => {
    const other = "77aa000000000001";
    const { spans } = readSpanContainer({
      version: 2,
      items: [
        span(),
        span(),
        segment(),
        span({ span_id: "9c0a000000000009" }, { "sentry.segment.id": attr(other) }),
      ],
    });
    const grouped = groupBySegment(spans);
    expect(grouped.duplicates).toBe(1);
    expect(grouped.segments).toHaveLength(1);
    expect(grouped.segments[0]!.segment.spanId).toBe(SEGMENT);
    expect(grouped.segments[0]!.children.map((c) => c.spanId)).toEqual(["9c0a000000000001"]);
    expect([...grouped.orphans.keys()]).toEqual([other]);
  });
});

describe("segmentTransaction", () => {
  it("is the transaction a static SDK sends: name, op, method, trace context, request, spans", () => {
    const { spans } = readSpanContainer({ version: 2, items: [span(), segment()] });
    const { segment: seg, children } = groupBySegment(spans).segments[0]!;
    const transaction = segmentTransaction(seg, children);
    expect(transaction).toMatchObject({
      event_id: segmentEventId(TRACE, SEGMENT),
      type: "transaction",
      transaction: "GET /api/products",
      transaction_info: { source: "url" },
      start_timestamp: 1796424809.7,
      timestamp: 1796424809.8,
      platform: "node",
      release: "shop@1.2.3",
      environment: "production",
      sdk: { name: "sentry.javascript.node", version: "11.12.0" },
      request: { method: "GET", url: "http://shop.test/api/products?page=2" },
      user: { ip_address: "10.0.0.7" },
      contexts: {
        trace: {
          trace_id: TRACE,
          span_id: SEGMENT,
          parent_span_id: "9da2000000000001",
          op: "http.server",
          status: "ok",
        },
      },
    });
    const trace = (transaction.contexts as { trace: { data: Record<string, unknown> } }).trace;
    expect(trace.data["http.request.method"]).toBe("GET");
    // what every span repeats stays out of each span's data
    expect(trace.data["sentry.segment.id"]).toBeUndefined();
    expect(transaction.spans).toEqual([
      {
        trace_id: TRACE,
        span_id: "9c0a000000000001",
        parent_span_id: SEGMENT,
        op: "db",
        status: "ok",
        origin: "manual",
        description: "SELECT * FROM products WHERE id = $1",
        start_timestamp: 1796424809.772,
        timestamp: 1796424809.781,
        data: { "sentry.origin": "manual", "sentry.op": "db", "db.system": "postgresql" },
      },
    ]);
  });

  it("keeps a segment's own name; a routed HTTP segment is named after its route", () => {
    const named = readSpanContainer({
      version: 2,
      items: [segment({ name: "nightly-report" }, { "sentry.op": attr("task") })],
    }).spans[0]!;
    expect(segmentTransaction(named, []).transaction).toBe("nightly-report");
    const routed = readSpanContainer({
      version: 2,
      items: [segment({}, { "http.route": attr("/api/products/:id") })],
    }).spans[0]!;
    expect(segmentTransaction(routed, []).transaction).toBe("GET /api/products/:id");
  });

  it("names a page load or navigation the browser SDK left at its fallback name after the page's path", () => {
    const page = (name: string, op: string, url: string) =>
      readSpanContainer({
        version: 2,
        items: [segment({ name }, { "sentry.op": attr(op), "sentry.segment.name.source": attr("url"), "url.full": attr(url) })],
      }).spans[0]!;
    expect(segmentTransaction(page("Pageload", "pageload", "https://shop.example.com/checkout?step=2#pay"), []).transaction).toBe("/checkout");
    expect(segmentTransaction(page("Navigation", "navigation", "https://shop.example.com/orders/7"), []).transaction).toBe("/orders/7");
    // a name the app set stays; without a readable URL the fallback name stays
    expect(segmentTransaction(page("/orders/:id", "navigation", "https://shop.example.com/orders/7"), []).transaction).toBe("/orders/:id");
    expect(segmentTransaction(page("Pageload", "pageload", "not a url"), []).transaction).toBe("Pageload");
  });

  it("makes a page load's web vital attributes its measurements", () => {
    const pageload = readSpanContainer({
      version: 2,
      items: [
        segment(
          { name: "/checkout" },
          {
            "sentry.op": attr("pageload"),
            "browser.web_vital.fcp.value": attr(812.5, "double"),
            "browser.web_vital.ttfb.value": attr(120),
            "browser.web_vital.lcp.element": attr("img.hero"),
          },
        ),
      ],
    }).spans[0]!;
    const transaction = segmentTransaction(pageload, []);
    expect(transaction.transaction).toBe("/checkout");
    expect(transaction.measurements).toEqual({
      fcp: { value: 812.5, unit: "millisecond" },
      ttfb: { value: 120, unit: "millisecond" },
    });
    const request = readSpanContainer({ version: 2, items: [segment()] }).spans[0]!;
    expect(segmentTransaction(request, []).measurements).toBeUndefined();
  });

  it("derives the id from trace and segment, the same for every delivery", () => {
    expect(segmentEventId(TRACE, SEGMENT)).toMatch(/^[0-9a-f]{32}$/);
    expect(segmentEventId(TRACE, SEGMENT)).toBe(segmentEventId(TRACE, SEGMENT));
    expect(segmentEventId(TRACE, "92cb000000000002")).not.toBe(segmentEventId(TRACE, SEGMENT));
  });
});

describe("sentryStatus", () => {
  it("maps v2's error by the HTTP status as the SDKs do, else internal_error; ok stays ok", () => {
    expect(sentryStatus("ok", 500)).toBe("ok");
    expect(sentryStatus("error", 500)).toBe("internal_error");
    expect(sentryStatus("error", 404)).toBe("not_found");
    expect(sentryStatus("error", 401)).toBe("unauthenticated");
    expect(sentryStatus("error", 429)).toBe("resource_exhausted");
    expect(sentryStatus("error", 418)).toBe("invalid_argument");
    expect(sentryStatus("error", 503)).toBe("unavailable");
    expect(sentryStatus("error", undefined)).toBe("internal_error");
    expect(sentryStatus("error", 200)).toBe("internal_error");
    expect(sentryStatus("bogus", undefined)).toBe("ok");
    expect(sentryStatus("not_found", undefined)).toBe("not_found");
  });
});
