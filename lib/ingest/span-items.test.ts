import { describe, expect, it } from "vitest";
import { ProtocolError } from "../protocol/errors";
import { checkSpanItem, countSegments } from "./span-items";

const count = (text: string) => countSegments(Buffer.from(text), "item 1 (span)");
const workerCount = (text: string) => {
  // what the worker makes transactions of: parsed, NULs removed as sanitizedJsonText does
  const parsed = JSON.parse(text.replaceAll("\u0000", "").replaceAll("\\u0000", ""));
  return Array.isArray(parsed.items)
    ? parsed.items.filter((s: { is_segment?: unknown }) => s?.is_segment === true).length
    : parsed.is_segment === true
      ? 1
      : 0;
};

describe("countSegments", () => {
  it("counts the spans marked is_segment true, with any spacing JSON allows", () => {
    const text = `{"version":2,"items":[{"span_id":"a","is_segment":false},{"span_id":"b","is_segment":true},{"span_id":"c","is_segment" :
      true},{"is_segment":"true"},{"name":"x","is_segment":true}]}`;
    expect(count(text)).toBe(3);
    expect(count(text)).toBe(workerCount(text));
    expect(count(`{"span_id":"b","is_segment":true}`)).toBe(1);
  });

  it("never counts fewer than the worker makes: escaped keys and NUL bytes are parsed as the worker parses them", () => {
    for (const text of [
      `{"version":2,"items":[{"is_segm\\u0065nt":true},{"\\u0069s_segment":true}]}`,
      `{"version":2,"items":[{"is_seg\\u0000ment":true}]}`,
      `{"version":2,"items":[{"is_seg\u0000ment":true}]}`,
      `{"version":2,"items":[{"name":"a \\"is_segment\\":true b","is_segment":false}]}`,
    ]) {
      expect(count(text)).toBeGreaterThanOrEqual(workerCount(text));
    }
    expect(count(`{"version":2,"items":[{"is_segm\\u0065nt":true},{"\\u0069s_segment":true}]}`)).toBe(2);
  });

  it("does not count text inside strings", () => {
    expect(count(`{"version":2,"items":[{"name":"\\"is_segment\\":true","is_segment":false}]}`)).toBe(0);
  });

  it("refuses unparseable JSON when it has to parse", () => {
    expect(() => count(`{"items":[{"is_segm\\u0065nt":tru`)).toThrow(ProtocolError);
  });
});

describe("checkSpanItem", () => {
  it("refuses more spans than an SDK sends, by the item header's count, and a non-object", () => {
    expect(() => checkSpanItem(Buffer.from("{}"), 5000, "item 1 (span)")).toThrow(/more than 1000/);
    expect(() => checkSpanItem(Buffer.from("[]"), 1, "item 1 (span)")).toThrow(/not a JSON object/);
    expect(
      checkSpanItem(Buffer.from(`{"version":2,"items":[{"is_segment":true}]}`), 1, "item 1 (span)"),
    ).toEqual({ segments: 1 });
  });

  it("takes containers larger than an event (an SDK flushes at 5 MB), refuses past 10 MiB", () => {
    const big = Buffer.from(
      `{"version":2,"items":[{"name":"${"x".repeat(6 * 1024 * 1024)}","is_segment":true}]}`,
    );
    expect(checkSpanItem(big, 1, "item 1 (span)")).toEqual({ segments: 1 });
    const huge = Buffer.from(`{"version":2,"items":[{"name":"${"x".repeat(11 * 1024 * 1024)}"}]}`);
    expect(() => checkSpanItem(huge, 1, "item 1 (span)")).toThrow(expect.objectContaining({ status: 413 }));
  });
});
