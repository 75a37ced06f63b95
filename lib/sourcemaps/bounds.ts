/**
 * What a source map may claim before it is decoded. Decoding and flattening allocate per
 * generated line and per segment (trace-mapping: ~50 bytes an empty line, ~80 a segment), and
 * a map says how many of each it has in a few bytes: a 235-byte index map with one section at
 * `offset.line: 30_000_000` took 15 s and 1.4 GB to flatten; 37 MB of ";" took 25 s and 1.9 GB.
 * Real maps never claim more than the minified file they describe, so the bounds are that
 * file's own extent (lines, bytes), with fixed ceilings when it is unknown or itself absurd.
 * Counting stops at the bound, so a refusal costs a scan of at most the bound.
 *
 * A real esbuild build (5000 modules: 1.5 MB minified, 5.4 MB map) has 445k segments (0.29 a
 * minified byte), 50k names and 5k sources, all far inside these.
 */

/** The map claims more than its minified file can hold, or more than we decode: js_too_large. */
export class MapTooLargeError extends Error {}

/** Generated lines past the minified file's own (a map may run a little past a file that lost a comment). */
export const LINE_SLACK = 1024;
/** The most generated lines decoded at all: ~100 MB and about a second of trace-mapping's per-line arrays. */
export const MAX_GENERATED_LINES = 2_000_000;
/** The most segments decoded: ~20 MB of minified code at real density; seconds of decoding, under 1 GB. */
export const MAX_SEGMENTS = 6_000_000;
/** Index map sections (each is a map of its own to parse), and how deep they may nest. */
export const MAX_SECTIONS = 100_000;
export const MAX_SECTION_DEPTH = 4;
/** Lines of sourcesContent, for which a line table (4 bytes a line) is built and cached. */
export const MAX_SOURCE_LINES = 4_000_000;

export type MinifiedExtent = { bytes: number; lines: number };

export type MapBounds = { lines: number; segments: number; entries: number };

/** What a map for this minified file (null: unknown) may claim. */
export function boundsFor(minified: MinifiedExtent | null): MapBounds {
  if (!minified) return { lines: MAX_GENERATED_LINES, segments: MAX_SEGMENTS, entries: MAX_SEGMENTS };
  const lines = Math.min(MAX_GENERATED_LINES, minified.lines + LINE_SLACK);
  // at most one segment a generated column, and one at each line's end
  const segments = Math.min(MAX_SEGMENTS, minified.bytes + minified.lines + LINE_SLACK);
  // a name or source is of use only through a segment
  return { lines, segments, entries: segments + LINE_SLACK };
}

type Tally = { segments: number; names: number; sources: number; sections: number };

/**
 * Throws MapTooLargeError when the (parsed, not yet decoded) map claims more than `bounds`,
 * InvalidSourceMapError-worthy shapes are left to the decoder except index map offsets, which
 * must be non-negative integers (trace-mapping would loop on others).
 */
export function checkMapExtent(
  raw: Record<string, unknown>,
  bounds: MapBounds,
  invalid: (message: string) => Error,
): void {
  const tally: Tally = { segments: 0, names: 0, sources: 0, sections: 0 };
  const lines = extentOf(raw, bounds, tally, 0, invalid);
  if (lines > bounds.lines)
    throw new MapTooLargeError(`source map spans ${lines} generated lines, more than ${bounds.lines}`);
}

/** The generated lines a map spans (from its own line 0); adds its segments, names and sources to `tally`. */
function extentOf(
  raw: Record<string, unknown>,
  bounds: MapBounds,
  tally: Tally,
  depth: number,
  invalid: (message: string) => Error,
): number {
  if (Array.isArray(raw.sections)) {
    if (depth >= MAX_SECTION_DEPTH)
      throw new MapTooLargeError(`index map sections nested deeper than ${MAX_SECTION_DEPTH}`);
    tally.sections += raw.sections.length;
    if (tally.sections > MAX_SECTIONS)
      throw new MapTooLargeError(`index map has more than ${MAX_SECTIONS} sections`);
    let lines = 0;
    for (const section of raw.sections as unknown[]) {
      const { offset, map } = (section ?? {}) as {
        offset?: { line?: unknown; column?: unknown };
        map?: unknown;
      };
      const line = offset?.line;
      const column = offset?.column;
      if (!isOffset(line) || !isOffset(column))
        throw invalid("index map section offset is not a non-negative integer");
      // checked before its map is looked at: an offset alone can claim millions of lines
      if (line >= bounds.lines)
        throw new MapTooLargeError(`index map section at generated line ${line}, past ${bounds.lines}`);
      if (typeof map !== "object" || map === null || Array.isArray(map))
        throw invalid("index map section without a map");
      lines = Math.max(
        lines,
        line + extentOf(map as Record<string, unknown>, bounds, tally, depth + 1, invalid),
      );
      if (lines > bounds.lines)
        throw new MapTooLargeError(`source map spans more than ${bounds.lines} generated lines`);
    }
    return lines;
  }
  const length = (value: unknown) => (Array.isArray(value) ? value.length : 0);
  tally.names += length(raw.names);
  // sourcesContent and ignoreList are copied per entry too, whatever sources says
  tally.sources += Math.max(
    length(raw.sources),
    length(raw.sourcesContent),
    length(raw.ignoreList),
    length(raw.x_google_ignoreList),
  );
  if (tally.names > bounds.entries || tally.sources > bounds.entries)
    throw new MapTooLargeError(
      `source map lists ${tally.names} names and ${tally.sources} sources, more than ${bounds.entries}`,
    );
  const mappings = typeof raw.mappings === "string" ? raw.mappings : "";
  const lines = countChar(mappings, ";", bounds.lines) + 1;
  if (lines > bounds.lines)
    throw new MapTooLargeError(`source map has more than ${bounds.lines} generated lines`);
  // an upper bound on segments: every separator may end one
  tally.segments += lines + countChar(mappings, ",", bounds.segments - tally.segments);
  if (tally.segments > bounds.segments)
    throw new MapTooLargeError(`source map has more than ${bounds.segments} segments`);
  return lines;
}

const isOffset = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) < 2 ** 31;

/** Occurrences of `char` in `text`, counting stops once past `limit` (then limit + 1). */
export function countChar(text: string, char: string, limit: number): number {
  let count = 0;
  for (let i = text.indexOf(char); i >= 0; i = text.indexOf(char, i + 1)) if (++count > limit) return count;
  return count;
}
