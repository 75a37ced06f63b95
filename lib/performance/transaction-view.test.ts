import { describe, expect, it } from "vitest";
import { transactionView } from "./transaction-view";

describe("transactionView", () => {
  it("reads the waterfall's figures from Sentry's transaction event shape", () => {
    const span = { span_id: "b".repeat(16), parent_span_id: "a".repeat(16), op: "db", description: "select 1", start_timestamp: 10.1, timestamp: 10.2 };
    const view = transactionView({
      eventID: "e".repeat(32),
      projectID: "7",
      title: "GET /orders/:id",
      startTimestamp: 10,
      endTimestamp: 10.5,
      release: { version: "api@1.2.0" },
      environment: "production",
      tags: [{ key: "http.status_code", value: "500" }, { key: 3 }],
      contexts: { trace: { trace_id: "f".repeat(32), span_id: "a".repeat(16), op: "http.server", status: "internal_error", data: { "http.method": "GET" } } },
      entries: [{ type: "spans", data: [span, { op: "no id" }, "junk"] }, { type: "request", data: {} }],
    });
    expect(view).toEqual({
      eventId: "e".repeat(32),
      projectId: "7",
      name: "GET /orders/:id",
      op: "http.server",
      status: "internal_error",
      traceId: "f".repeat(32),
      spanId: "a".repeat(16),
      parentSpanId: null,
      startTimestamp: 10,
      timestamp: 10.5,
      release: "api@1.2.0",
      environment: "production",
      tags: [{ key: "http.status_code", value: "500" }],
      data: { "http.method": "GET" },
      spans: [span],
    });
  });

  it("reads a bare or broken document as absent fields, never throwing", () => {
    const view = transactionView({ contexts: "nope", entries: [{ type: "spans", data: "x" }], tags: {}, startTimestamp: "soon", endTimestamp: 4 });
    expect(view).toMatchObject({ name: "<unlabeled transaction>", op: "", status: "unknown", traceId: null, spans: [], tags: [], startTimestamp: 4, timestamp: 4 });
  });
});
