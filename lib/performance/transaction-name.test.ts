import { describe, expect, it } from "vitest";
import { sanitizeUrlTransactionName, scrubIdentifiers } from "./transaction-name";

describe("scrubIdentifiers", () => {
  it.each([
    // Relay's own test case: the SHA-1 and 123 go, a single digit stays
    ["/foo/2fd4e1c67a2d28fced849ee1bb76e7391b93eb12/user/123/0", "/foo/*/user/*/0"],
    ["GET /api/orders/81723", "GET /api/orders/*"],
    ["GET /api/orders/81723/items/4410", "GET /api/orders/*/items/*"],
    ["/users/5f2c8a0e-1b2c-4d3e-8f9a-0b1c2d3e4f5a/settings", "/users/*/settings"],
    ["/users/user-5f2c8a0e-1b2c-4d3e-8f9a-0b1c2d3e4f5a.json", "/users/*"],
    ["/blobs/d41d8cd98f00b204e9800998ecf8427e", "/blobs/*"],
    // hex ids with no two digits in a row (Relay's integer rule misses these)
    ["/users/5f2cab1e5f2cab1e5f2cab1e/settings", "/users/*/settings"],
    ["/commits/a1b2c3d4", "/commits/*"],
    ["/mem/0x1f", "/mem/*"],
    // two digits anywhere in the segment, as Relay's integer rule
    ["/orders/order-12b/lines", "/orders/*/lines"],
    ["/api/v10/users", "/api/*/users"],
    ["/search?q=2024", "/*"],
    ["/reports/2024-01-31T10:00:00Z", "/reports/*"],
    // a stray % hides the digits from the integer rule; the date rule still sees the date
    ["/x/%zz2024-01-31T10:00Z/y", "/x/*/y"],
    // (Relay's grouping of its date rule would leave "%zz " here: see transaction-name.ts)
    ["/log/%zz Mon, 5 Jan 2024 10:00 GMT", "/log/*"],
    // Windows-style separators
    ["C:\\Users\\12345\\file", "C:\\Users\\*\\file"],
    ["/12345", "/*"],
  ])("%s -> %s", (name, expected) => {
    expect(scrubIdentifiers(name)).toBe(expected);
  });

  it.each([
    "/api/v2/users",
    "/users/5/posts/7",
    "/deadbeef/facade",
    "/static/app.js",
    "GET /api/products",
    // percent escapes' own digits do not count
    "/files/%2F%2Fa",
    "/search/caf%C3%A9",
    // a name that would be only "*" is kept, as Relay keeps it
    "12345",
    "",
    "/",
    "//",
  ])("keeps %j", (name) => {
    expect(scrubIdentifiers(name)).toBe(name);
  });

  it("counts the digits after a percent escape", () => {
    expect(scrubIdentifiers("/files/%2012")).toBe("/files/*");
  });

  it("scrubs the first 2,000 characters of a longer name (normalizeEvent keeps 200)", () => {
    const name = `/a/${"b".repeat(2_000)}/123`;
    expect(scrubIdentifiers(name)).toBe(name);
    expect(scrubIdentifiers(`/123/${"b".repeat(2_000)}`)).toBe(`/*/${"b".repeat(1_995)}`);
  });

  it("takes linear time on hostile segments", () => {
    const hostile = [
      "Sun ".repeat(250_000),
      `Jan${" ".repeat(500_000)}`,
      "a".repeat(1_000_000),
      "%".repeat(1_000_000),
      "1-".repeat(500_000),
    ];
    for (const name of hostile) {
      const t0 = performance.now();
      scrubIdentifiers(name);
      // the cut to 2,000 characters bounds the work: far under this on any machine
      expect(performance.now() - t0).toBeLessThan(250);
    }
  });
});

describe("sanitizeUrlTransactionName", () => {
  it("scrubs a URL-sourced name, marks it sanitized and keeps the name as sent", () => {
    const payload = { transaction: "GET /api/orders/81723", transaction_info: { source: "url" } };
    sanitizeUrlTransactionName(payload);
    expect(payload).toEqual({
      transaction: "GET /api/orders/*",
      transaction_info: { source: "sanitized", original: "GET /api/orders/81723" },
    });
  });

  it("marks a URL-sourced name sanitized even when nothing changes, as Relay does", () => {
    const payload = { transaction: "GET /api/products", transaction_info: { source: "url", changes: [] } };
    sanitizeUrlTransactionName(payload);
    expect(payload).toEqual({
      transaction: "GET /api/products",
      transaction_info: { source: "sanitized", changes: [] },
    });
  });

  it("scrubs a name sanitized upstream again and keeps the original it came with", () => {
    const payload = {
      transaction: "/users/*/orders/991",
      transaction_info: { source: "sanitized", original: "/users/42/orders/991" },
    };
    sanitizeUrlTransactionName(payload);
    expect(payload.transaction).toBe("/users/*/orders/*");
    expect(payload.transaction_info).toEqual({ source: "sanitized", original: "/users/42/orders/991" });
  });

  it("keeps the first 200 characters of the original", () => {
    const name = `/orders/123/${"x".repeat(400)}`;
    const payload: Record<string, unknown> = { transaction: name, transaction_info: { source: "url" } };
    sanitizeUrlTransactionName(payload);
    expect((payload.transaction_info as { original: string }).original).toBe(name.slice(0, 200));
  });

  it.each([
    ["route", { transaction: "GET /api/orders/81723", transaction_info: { source: "route" } }],
    ["custom", { transaction: "/orders/81723", transaction_info: { source: "custom" } }],
    // older SDKs send no source: only the SDK knows a name is a URL
    ["no source", { transaction: "/orders/81723", transaction_info: {} }],
    ["no transaction_info", { transaction: "/orders/81723" }],
    ["transaction_info a string", { transaction: "/orders/81723", transaction_info: "url" }],
    ["transaction_info a list", { transaction: "/orders/81723", transaction_info: ["url"] }],
    ["transaction_info null", { transaction: "/orders/81723", transaction_info: null }],
    [
      "a source that is not a string",
      { transaction: "/orders/81723", transaction_info: { source: ["url"] } },
    ],
    ["a name that is not a string", { transaction: 81723, transaction_info: { source: "url" } }],
    ["an empty name", { transaction: "", transaction_info: { source: "url" } }],
  ])("leaves a payload with %s as sent", (_, payload) => {
    const sent = structuredClone(payload);
    sanitizeUrlTransactionName(payload);
    expect(payload).toEqual(sent);
  });
});
