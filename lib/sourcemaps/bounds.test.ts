import { describe, expect, it } from "vitest";
import { LINE_SLACK, MAX_GENERATED_LINES, MAX_SECTION_DEPTH, MAX_SEGMENTS, MAX_SOURCE_LINES } from "./bounds";
import { ByteLru } from "./cache";
import {
  contextAround,
  InvalidSourceMapError,
  type LoadedMap,
  lineStarts,
  loadMap,
  MapTooLargeError,
  prepareScopes,
} from "./loaded-map";
import { buildScopeIndex, MAX_SCOPE_SOURCE_BYTES } from "./scopes";

// Maps that claim an absurd generated extent are refused before decoding, fast and without the
// memory decoding them took (the hostile-input review: 15-25 s and 1.4-1.9 GB each); the scope
// index is skipped past its size and token budgets. Each case runs loadMap + prepareScopes, as
// the parse thread does.

/** loadMap + prepareScopes with the time and resident memory it took. */
function timed(
  map: string | Buffer,
  minified: string | null,
): { result: LoadedMap | Error; ms: number; rssMb: number } {
  const rss = process.memoryUsage.rss();
  const started = performance.now();
  let result: LoadedMap | Error;
  try {
    const loaded = loadMap("~/app.js.map", Buffer.isBuffer(map) ? map : Buffer.from(map), minified);
    prepareScopes(loaded);
    result = loaded;
  } catch (error) {
    result = error as Error;
  }
  return { result, ms: performance.now() - started, rssMb: (process.memoryUsage.rss() - rss) / 2 ** 20 };
}

const json = (value: object) => JSON.stringify(value);
const plain = (mappings: string, extra: object = {}) =>
  json({ version: 3, sources: ["a.js"], names: [], mappings, ...extra });
const MINIFIED = "function a(){throw new Error('x')}a();\n//# sourceMappingURL=app.js.map";

describe("maps refused before they are decoded", () => {
  it("an index map with a section at generated line 30,000,000 (235 bytes: 15 s and 1.4 GB to flatten)", () => {
    const map = json({
      version: 3,
      sections: [{ offset: { line: 30_000_000, column: 0 }, map: JSON.parse(plain("AAAA")) }],
    });
    expect(map.length).toBeLessThan(240);
    for (const minified of [MINIFIED, null]) {
      const { result, ms } = timed(map, minified);
      expect(result).toBeInstanceOf(MapTooLargeError);
      expect(ms).toBeLessThan(100);
    }
    // past the minified file's lines, though far under the ceiling
    expect(
      timed(
        json({
          version: 3,
          sections: [{ offset: { line: 5000, column: 0 }, map: JSON.parse(plain("AAAA")) }],
        }),
        MINIFIED,
      ).result,
    ).toBeInstanceOf(MapTooLargeError);
  });

  it("sections that reach far only through their own map's lines, nest too deep, or have no proper offset", () => {
    const far = json({
      version: 3,
      sections: [{ offset: { line: 10, column: 0 }, map: JSON.parse(plain(";".repeat(LINE_SLACK + 10))) }],
    });
    expect(timed(far, MINIFIED).result).toBeInstanceOf(MapTooLargeError);
    let nested: object = JSON.parse(plain("AAAA"));
    for (let depth = 0; depth <= MAX_SECTION_DEPTH; depth++)
      nested = { version: 3, sections: [{ offset: { line: 0, column: 0 }, map: nested }] };
    expect(timed(json(nested), MINIFIED).result).toBeInstanceOf(MapTooLargeError);
    for (const offset of [
      { line: -1, column: 0 },
      { line: 0.5, column: 0 },
      { line: "1", column: 0 },
      { line: 0, column: 2 ** 40 },
      null,
    ])
      expect(
        timed(json({ version: 3, sections: [{ offset, map: JSON.parse(plain("AAAA")) }] }), MINIFIED).result,
      ).toBeInstanceOf(InvalidSourceMapError);
  });

  it("a 37 MB map whose mappings are only ';' (25 s and 1.9 GB to decode), and a small one past a one-line file", () => {
    const map = Buffer.from(plain(";".repeat(37_000_000)));
    const { result, ms, rssMb } = timed(map, MINIFIED);
    expect(result).toBeInstanceOf(MapTooLargeError);
    console.log(
      `37 MB of ';': refused in ${ms.toFixed(0)} ms, resident memory +${rssMb.toFixed(0)} MB (the map's own text included)`,
    );
    // JSON.parse of 37 MB is most of it (0.3-0.9 s measured on a loaded machine): the floor, not the bound's cost
    expect(ms).toBeLessThan(3000);
    expect(rssMb).toBeLessThan(400);
    // without the minified file, the fixed ceiling
    expect(timed(plain(";".repeat(MAX_GENERATED_LINES)), null).result).toBeInstanceOf(MapTooLargeError);
    // a map for a one-line file claiming 2000 lines
    expect(timed(plain(";".repeat(2000)), MINIFIED).result).toBeInstanceOf(MapTooLargeError);
  });

  it("more segments than the minified file has columns", () => {
    const small = timed(
      plain(
        Array(MINIFIED.length + 2 * LINE_SLACK)
          .fill("AAAA")
          .join(","),
      ),
      MINIFIED,
    );
    expect(small.result).toBeInstanceOf(MapTooLargeError);
    expect((small.result as Error).message).toMatch(/segments/);
    // without the minified file, the fixed ceiling: 6M one-field segments ("A,", 12 MB)
    const { result, ms } = timed(plain("A,".repeat(MAX_SEGMENTS)), null);
    expect(result).toBeInstanceOf(MapTooLargeError);
    expect(ms).toBeLessThan(1000);
  });

  it("names or sources lists longer than any use the file has for them", () => {
    const names = Array.from({ length: 5000 }, (_, i) => `n${i}`);
    expect(timed(plain("AAAA", { names }), MINIFIED).result).toBeInstanceOf(MapTooLargeError);
    expect(timed(plain("AAAA", { sources: names }), MINIFIED).result).toBeInstanceOf(MapTooLargeError);
    expect(timed(plain("AAAA", { sourcesContent: names.map(() => null) }), MINIFIED).result).toBeInstanceOf(
      MapTooLargeError,
    );
    expect(timed(plain("AAAA", { ignoreList: names.map(() => 0) }), MINIFIED).result).toBeInstanceOf(
      MapTooLargeError,
    );
  });

  it("sourcesContent past the lines whose table is kept", () => {
    const { result, ms } = timed(
      plain("AAAA", { sourcesContent: ["\n".repeat(MAX_SOURCE_LINES + 1)] }),
      MINIFIED,
    );
    expect(result).toBeInstanceOf(MapTooLargeError);
    expect(ms).toBeLessThan(1000);
  });

  it("keeps a map just inside the bounds, and weighs its line tables", () => {
    const lines = MINIFIED.split("\n").length;
    const content = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join("\n");
    const { result } = timed(
      plain(`${";".repeat(lines + LINE_SLACK - 1)}AAAA`, { sourcesContent: [content] }),
      MINIFIED,
    );
    if (result instanceof Error) throw result;
    expect(result.map.lineOffsets.length - 1).toBe(lines + LINE_SLACK);
    expect(result.sourceLines.starts).toEqual(lineStarts(content));
    expect(result.weight).toBeGreaterThanOrEqual(content.length + 4 * 1000 + MINIFIED.length);
    expect(contextAround(result, 0, content, 500, 1)?.contextLine).toBe("line 499");
  });
});

describe("the scope index's budget", () => {
  it("skips 19 MB of minified `x=[0,0,...]` (15 s in acorn) and of `function a(){}` (8.5 s) at once", () => {
    for (const minified of [`x=[${"0,".repeat(9_500_000)}0]`, "function a(){}".repeat(1_400_000)]) {
      expect(minified.length).toBeGreaterThan(MAX_SCOPE_SOURCE_BYTES);
      const { result, ms } = timed(plain("AAAA"), minified);
      if (result instanceof Error) throw result;
      expect(result.scopes).toBeNull();
      // neither the text nor a line table is kept (or weighed) without scopes
      expect(result.minifiedLineStarts).toBeUndefined();
      expect(result.minified).toBeNull();
      expect(result.weight).toBeLessThan(1000);
      expect(ms).toBeLessThan(1000);
    }
  });

  it("stops acorn at its token budget, and then names nothing rather than parsing again as a script", () => {
    const dense = `x=[${"0,".repeat(20_000)}0]`;
    expect(buildScopeIndex(dense, 10_000)).toBeNull();
    expect(buildScopeIndex(dense, 100_000)?.starts.length).toBe(0);
    const code = "function outer(){return function inner(){}}";
    expect(buildScopeIndex(code, 5)).toBeNull();
    expect(buildScopeIndex(code)?.starts.length).toBe(2);
  });
});

describe("the LRU's share per tenant", () => {
  it("evicts the flooding tenant's own oldest maps, not everyone else's", () => {
    const lru = new ByteLru<string, string>(100, 50);
    lru.set("b1", "b", 20, "b");
    lru.set("b2", "b", 20, "b");
    for (let i = 0; i < 20; i++) expect(lru.set(`a${i}`, "a", 15, "a")).toBe(true);
    expect(lru.get("b1")).toBe("b");
    expect(lru.get("b2")).toBe("b");
    expect(lru.groupBytes("a")).toBeLessThanOrEqual(50);
    expect([lru.get("a19"), lru.get("a18"), lru.get("a17"), lru.get("a16")]).toEqual([
      "a",
      "a",
      "a",
      undefined,
    ]);
    expect(lru.bytes).toBe(85);
  });

  it("keeps nothing heavier than a share, and bounds a map that grows after it was kept", () => {
    const lru = new ByteLru<string, string>(100, 50);
    expect(lru.set("huge", "x", 51, "a")).toBe(false);
    expect(lru.size).toBe(0);
    lru.set("a1", "x", 20, "a");
    lru.set("a2", "x", 20, "a");
    lru.resize("a2", 15); // a's 55 > 50: its oldest goes
    expect(lru.get("a1")).toBeUndefined();
    expect(lru.groupBytes("a")).toBe(35);
    lru.resize("a2", -35);
    expect(lru.groupBytes("a")).toBe(0);
    expect(lru.bytes).toBe(0);
  });
});
