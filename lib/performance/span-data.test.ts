import { describe, expect, it } from "vitest";
import { boundedSpanData, boundedTags, scrubDescription, scrubSql } from "./span-data";

describe("scrubSql", () => {
  it("filters every literal of a statement that names a secret, and card numbers anywhere", () => {
    expect(scrubSql("UPDATE users SET password = 'hunter2', name = 'Jane' WHERE id = 7")).toBe(
      "UPDATE users SET password = '[Filtered]', name = '[Filtered]' WHERE id = 7",
    );
    expect(scrubSql("INSERT INTO api_tokens (token, owner) VALUES ('t0k''en', 'x')")).toBe(
      "INSERT INTO api_tokens (token, owner) VALUES ('[Filtered]', '[Filtered]')",
    );
    expect(scrubSql("SELECT * FROM orders WHERE card = '4111 1111 1111 1111'")).toBe("SELECT * FROM orders WHERE card = '[Filtered]'");
    expect(scrubSql("SELECT * FROM carts WHERE owner = 'jane'")).toBe("SELECT * FROM carts WHERE owner = 'jane'");
    expect(scrubSql("UPDATE users SET password = $1 WHERE id = $2")).toBe("UPDATE users SET password = $1 WHERE id = $2");
  });

  it("filters a literal cut off by truncation", () => {
    expect(scrubSql("UPDATE users SET password = 'hunter2-and-then-the-cu")).toBe("UPDATE users SET password = '[Filtered]'");
  });
});

describe("scrubDescription", () => {
  it("scrubs the SQL of db spans and the URLs of others", () => {
    expect(scrubDescription("db.query", "SELECT secret FROM vault WHERE k = 'x'")).toBe("SELECT secret FROM vault WHERE k = '[Filtered]'");
    expect(scrubDescription("http.client", "GET https://u:pw@api.example.com/v1?api_key=abc&page=2")).toBe(
      "GET https://u:[Filtered]@api.example.com/v1?api_key=[Filtered]&page=2",
    );
    expect(scrubDescription("function", "load carts")).toBe("load carts");
  });
});

describe("boundedSpanData", () => {
  it("copies within depth, entry and size bounds, and says when it cut", () => {
    const deep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
    expect(boundedSpanData(deep, false)).toEqual({ data: { a: { b: { c: { d: {} } } } }, trimmed: true });
    const wide = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(boundedSpanData(wide, false).data!)).toHaveLength(100);
    const big = boundedSpanData({ a: "x".repeat(5000), b: "y".repeat(5000), c: "z".repeat(5000), d: "w" }, false);
    expect(big.trimmed).toBe(true);
    expect(JSON.stringify(big.data).length).toBeLessThan(8300);
    expect(boundedSpanData({ n: Number.NaN, ok: true, s: "fine" }, false)).toEqual({ data: { ok: true, s: "fine" }, trimmed: false });
    expect(boundedSpanData(["not", "an", "object"], false)).toEqual({ trimmed: false });
  });

  it("scrubs SQL and OTel's URL and query attributes when asked", () => {
    const data = { "db.statement": "SELECT * FROM sessions WHERE sid = 'abc'", "url.full": "https://h/p?token=t", "http.query": "password=p&x=1" };
    expect(boundedSpanData(data, true).data).toEqual({
      "db.statement": "SELECT * FROM sessions WHERE sid = '[Filtered]'",
      "url.full": "https://h/p?token=[Filtered]",
      "http.query": "password=[Filtered]&x=1",
    });
    expect(boundedSpanData(data, false).data).toEqual(data);
  });
});

describe("boundedTags", () => {
  it("keeps scalars as strings, at most 50, cut to 200", () => {
    expect(boundedTags({ a: "x", n: 5, b: true, o: { x: 1 }, l: "y".repeat(300) })).toEqual({ a: "x", n: "5", b: "true", l: "y".repeat(200) });
    expect(Object.keys(boundedTags(Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${i}`, "v"])))!)).toHaveLength(50);
    expect(boundedTags("tags")).toBeUndefined();
  });
});
