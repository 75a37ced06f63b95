import { describe, expect, it } from "vitest";
import { canonicalDebugId, classifyFile } from "./file-kind";

describe("canonicalDebugId", () => {
  it("lowercases and dashes a uuid, drops an age suffix, and refuses anything else", () => {
    expect(canonicalDebugId("0B6E7E5A51D14B1C9F7E1234567890AB")).toBe("0b6e7e5a-51d1-4b1c-9f7e-1234567890ab");
    expect(canonicalDebugId(" 0b6e7e5a-51d1-4b1c-9f7e-1234567890ab-0 ")).toBe("0b6e7e5a-51d1-4b1c-9f7e-1234567890ab");
    for (const bad of ["", "not-a-uuid", "0b6e7e5a-51d1-4b1c-9f7e-1234567890", 42, null, undefined, { id: 1 }]) {
      expect(canonicalDebugId(bad)).toBeNull();
    }
  });
});

describe("classifyFile", () => {
  const id = "0b6e7e5a-51d1-4b1c-9f7e-1234567890ab";

  it("a JSON object with mappings (or sections) is a source map; debugId or the older debug_id", () => {
    expect(classifyFile(Buffer.from(JSON.stringify({ version: 3, mappings: "AAAA", debugId: id })))).toEqual({ type: "source_map", debugId: id });
    expect(classifyFile(Buffer.from(JSON.stringify({ version: 3, mappings: "", debug_id: id.toUpperCase() })))).toEqual({ type: "source_map", debugId: id });
    expect(classifyFile(Buffer.from(JSON.stringify({ version: 3, sections: [] })))).toEqual({ type: "source_map", debugId: null });
    // The XSSI prefix the source map spec allows.
    expect(classifyFile(Buffer.from(`)]}'\n${JSON.stringify({ version: 3, mappings: "A" })}`)).type).toBe("source_map");
  });

  it("anything else is minified source; its debug id is the trailing //# debugId= comment", () => {
    expect(classifyFile(Buffer.from(`!function(){}();\n//# sourceMappingURL=a.js.map\n//# debugId=${id}\n`))).toEqual({ type: "minified_source", debugId: id });
    expect(classifyFile(Buffer.from('{"not": "a map"}'))).toEqual({ type: "minified_source", debugId: null });
    expect(classifyFile(Buffer.from("{ broken json"))).toEqual({ type: "minified_source", debugId: null });
    // A debugId comment in the middle of a large file is not the file's own.
    const middle = `//# debugId=${id}\n${"x".repeat(2000)}`;
    expect(classifyFile(Buffer.from(middle)).debugId).toBeNull();
  });
});
