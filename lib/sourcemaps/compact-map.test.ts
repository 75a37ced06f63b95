import { type SourceMapInput, TraceMap, traceSegment } from "@jridgewell/trace-mapping";
import { transform } from "esbuild";
import { describe, expect, it } from "vitest";
import { type CompactMap, compactMap, SEGMENT_FIELDS, segmentAt } from "./compact-map";
import { InvalidSourceMapError, loadMap, originalPosition, sourceOf } from "./loaded-map";

// The compact map's lookup must answer what trace-mapping's traceSegment answers, segment for
// segment: checked at every column of every line of real esbuild output, and on hand-made
// mappings with the cases esbuild does not write (several segments at one column, segments
// without a source, lines without segments, unsorted lines).

/** TypeScript with named and anonymous functions, classes, arrows and long lines. */
function appSource(functions: number): string {
  const parts: string[] = [];
  for (let i = 0; i < functions; i++) {
    parts.push(`export function compute${i}(items: number[]): number {
  const total = items.reduce((sum, item) => sum + item * ${i + 1}, 0);
  if (total > ${1000 + i}) throw new Error("section ${i} over its limit: " + total);
  return total;
}
export class Store${i} { private items: number[] = []; add(price: number) { this.items.push(price); return compute${i}(this.items); } }
export const format${i} = (value: number): string => (value < 0 ? "-" : "") + Math.abs(value).toFixed(${i % 4});`);
  }
  return parts.join("\n");
}

/** traceSegment's answer as the compact map's fields (-1 where the segment has none). */
function traced(map: TraceMap, line: number, column: number): number[] | null {
  const segment = traceSegment(map, line, column) as number[] | null;
  if (!segment) return null;
  const mapped = segment.length >= 4;
  return [segment[0]!, mapped ? segment[1]! : -1, mapped ? segment[2]! : -1, mapped ? segment[3]! : -1, segment.length >= 5 ? segment[4]! : -1];
}

function compact(map: CompactMap, line: number, column: number): number[] | null {
  const index = segmentAt(map, line, column);
  return index < 0 ? null : [...map.segments.subarray(index * SEGMENT_FIELDS, (index + 1) * SEGMENT_FIELDS)];
}

/** Every column of every generated line (and a little past both ends) answers the same in both. */
function expectSameEverywhere(raw: SourceMapInput, lineLengths: number[]): number {
  const reference = new TraceMap(structuredClone(raw));
  const map = compactMap(structuredClone(raw) as object);
  expect(map.names).toEqual(reference.names);
  expect(map.sources).toEqual(reference.sources);
  expect(map.resolvedSources).toEqual(reference.resolvedSources);
  let checked = 0;
  const differences: string[] = [];
  for (let line = 0; line < lineLengths.length + 2; line++) {
    for (let column = 0; column <= (lineLengths[line] ?? 3) + 2; column++) {
      const [ours, theirs] = [compact(map, line, column), traced(reference, line, column)];
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) differences.push(`${line}:${column} ${JSON.stringify(ours)} != ${JSON.stringify(theirs)}`);
      checked++;
    }
  }
  expect(differences.slice(0, 10)).toEqual([]);
  return checked;
}

describe("the compact lookup answers as trace-mapping's traceSegment", () => {
  it("at every position of esbuild's minified output (one long line)", async () => {
    const out = await transform(appSource(150), { loader: "ts", minify: true, sourcemap: "external", sourcefile: "src/app.ts" });
    const lines = out.code.split("\n").map((l) => l.length);
    const raw = JSON.parse(out.map) as SourceMapInput;
    expect(lines[0]).toBeGreaterThan(20_000);
    expect(expectSameEverywhere(raw, lines)).toBeGreaterThan(20_000);
  });

  it("at every position of unminified output (many lines, names, empty lines)", async () => {
    const out = await transform(appSource(40), { loader: "ts", sourcemap: "external", sourcefile: "src/app.ts" });
    const lines = out.code.split("\n").map((l) => l.length);
    expect(lines.length).toBeGreaterThan(200);
    expectSameEverywhere(JSON.parse(out.map) as SourceMapInput, lines);
  });

  it("on hand-made mappings: one column mapped twice, segments without a source, lines without segments, unsorted lines", () => {
    const raw = {
      version: 3 as const,
      sources: ["a.js", "b.js"],
      names: ["first", "second"],
      mappings: [
        [[0, 0, 0, 0], [4, 1, 2, 3, 0], [4, 0, 5, 6, 1], [9], [12, 1, 7, 0]],
        [],
        [[20, 0, 1, 1], [3, 1, 0, 0, 1], [3, 0, 9, 9]],
        [[5]],
      ],
    };
    expectSameEverywhere(raw as unknown as SourceMapInput, [15, 0, 25, 8]);
    const map = compactMap(structuredClone(raw));
    expect(compact(map, 0, 4)).toEqual([4, 1, 2, 3, 0]); // the first of the two at column 4
    expect(compact(map, 0, 10)).toEqual([9, -1, -1, -1, -1]); // a segment that maps nowhere
    expect(compact(map, 1, 0)).toBeNull();
    expect(compact(map, 2, 2)).toBeNull(); // before the line's first segment, once sorted
    expect(compact(map, -1, 0)).toBeNull();
  });
});

describe("maps as the worker loads them", () => {
  it("reads an index map (sections) as the maps it joins", async () => {
    const first = await transform("export function one() { throw new Error('one'); }", { loader: "ts", minify: true, sourcemap: "external", sourcefile: "src/one.ts" });
    const second = await transform("export function two() { throw new Error('two'); }", { loader: "ts", minify: true, sourcemap: "external", sourcefile: "src/two.ts" });
    const minified = `${first.code.trimEnd()}\n${second.code.trimEnd()}\n`;
    const index = {
      version: 3,
      sections: [
        { offset: { line: 0, column: 0 }, map: JSON.parse(first.map) },
        { offset: { line: 1, column: 0 }, map: JSON.parse(second.map) },
      ],
    };
    const loaded = loadMap("~/app.js.map", Buffer.from(JSON.stringify(index)), minified);
    const throwOf = (line: number) => originalPosition(loaded, line, minified.split("\n")[line - 1]!.indexOf("Error") + 1)!;
    expect(sourceOf(loaded, throwOf(1).sourceIndex).url).toBe("src/one.ts");
    expect(sourceOf(loaded, throwOf(2).sourceIndex).url).toBe("src/two.ts");
    expect(sourceOf(loaded, throwOf(2).sourceIndex).content).toContain("function two()");
  });

  it("takes only strings from names, sources and sourcesContent, whatever else a hostile map puts there", () => {
    const raw = { version: 3, sources: ["a.js", 7], sourcesContent: [{ x: 1 }, "b"], names: [1, "ok", null], mappings: "AAAAA,CAACC" };
    const loaded = loadMap("~/x.map", Buffer.from(JSON.stringify(raw)), null);
    expect(loaded.map.names).toEqual([null, "ok", null]);
    expect(loaded.map.sourcesContent).toEqual([null, "b"]);
    expect(originalPosition(loaded, 1, 1)!.name).toBeUndefined(); // names[0] is not a string
    expect(originalPosition(loaded, 1, 2)!.name).toBe("ok");
    expect(() => loadMap("~/x.map", Buffer.from('{"version":3,"sections":"no"}'), null)).toThrow(InvalidSourceMapError);
  });
});
