import { describe, expect, it } from "vitest";
import { parseJsonObject, sanitizedJsonText } from "./sanitize";

const parse = (text: string) => parseJsonObject(Buffer.from(text));

describe("sanitizedJsonText", () => {
  it("removes NUL escapes from keys and strings, and raw NUL bytes", () => {
    expect(parse('{"a\\u0000b":"x\\u0000\\u0000y"}')).toEqual({ ab: "xy" });
    expect(parse('\u0000{"a":"b\u0000"}')).toEqual({ a: "b" });
  });

  it("leaves an escaped backslash followed by the text u0000 alone", () => {
    expect(parse('{"a":"\\\\u0000"}')).toEqual({ a: "\\u0000" });
    expect(parse('{"a":"\\\\\\u0000"}')).toEqual({ a: "\\" });
  });

  it("replaces lone surrogate escapes with U+FFFD and keeps pairs", () => {
    expect(parse('{"a":"\\ud83d\\ude00","b":"x\\uD800y","c":"\\udc00\\ud83d"}')).toEqual({
      a: "😀",
      b: "x\ufffdy",
      c: "\ufffd\ufffd",
    });
    expect(parse('{"a":"\\\\ud800"}')).toEqual({ a: "\\ud800" });
  });

  it("returns other payloads as they are", () => {
    const text = '{"a":"caf\\u00e9","b":[1,2]}';
    expect(sanitizedJsonText(Buffer.from(text))).toBe(text);
  });

  it("refuses what is not a JSON object", () => {
    expect(() => parse("[1]")).toThrow(/not a JSON object/);
    expect(() => parse("null")).toThrow(/not a JSON object/);
  });
});
