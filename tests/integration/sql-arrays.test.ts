import { describe, expect, it } from "vitest";
import { arrayLiteral, sqlRows } from "@/lib/db";

// The drain batch's statements send their columns as array parameters, written as literals by
// lib/db.ts rather than by pg: whatever a tag, a title or a release holds must arrive intact.
describe("array parameters of the pg hot path", () => {
  const strings = [
    "plain",
    "",
    "NULL",
    "null",
    'with "quotes"',
    "back\\slash",
    '\\"',
    '"',
    "a,b",
    "{braces}",
    " spaced ",
    "line\nbreak",
    "tab\there",
    "ünïcödé 🎉",
    "x".repeat(300),
  ];

  it("round-trips strings, nulls and numbers through Postgres unchanged", async () => {
    const [row] = await sqlRows<{ t: (string | null)[]; i: (number | null)[]; f: number[]; n: number }>`
      select ${[...strings, null]}::text[] as t, ${[1, -2, 0, 2147483647, null]}::int[] as i,
             ${[1.5, -0.25, 1764370000000]}::float8[] as f, cardinality(${[]}::int[]) as n`;
    expect(row!.t).toEqual([...strings, null]);
    expect(row!.i).toEqual([1, -2, 0, 2147483647, null]);
    expect(row!.f).toEqual([1.5, -0.25, 1764370000000]);
    expect(row!.n).toBe(0);
  });

  it("writes numbers unquoted and strings quoted, and leaves other arrays to pg", () => {
    expect(arrayLiteral([1, "a", null, undefined, 'q"\\'])).toBe('{1,"a",NULL,NULL,"q\\"\\\\"}');
    expect(arrayLiteral([new Date(0)])).toBeUndefined();
    expect(arrayLiteral([[1, 2]])).toBeUndefined();
    expect(arrayLiteral([true])).toBeUndefined();
  });
});
