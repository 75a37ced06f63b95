import { boundsFor, checkMapExtent, countChar, MAX_GENERATED_LINES, MAX_SOURCE_LINES, MapTooLargeError } from "./bounds";
import { type CompactMap, compactMap, compactMapBytes, SEGMENT_FIELDS, segmentAt } from "./compact-map";
import { buildScopeIndex, type ScopeIndex, scopeAt } from "./scopes";

/**
 * A parsed source map with the minified file it belongs to, as the worker's cache keeps it.
 *
 * @jridgewell/trace-mapping over Mozilla's source-map, measured on a real 5.8 MB map (see the
 * commit that chose it): parsing is slower (100-180 ms against 40-90 ms, JSON.parse included)
 * but lookups are as fast, it is synchronous and it lives on the JS heap, where an evicted map
 * is collected; source-map 0.8 keeps its mappings in WebAssembly memory, which grows to the
 * peak and never shrinks, and must be freed by hand. Its decoded mappings are kept compact
 * (compact-map.ts). The worker loads maps in a thread (parse-thread.ts); loadMap and
 * prepareScopes are what that thread runs.
 */
export type LoadedMap = {
  /** the map's URL as the frames' data names it (`~/main.js.map`, a full URL, or the file's own for an inline map) */
  url: string;
  map: CompactMap;
  /** the minified file, for scope mapping; null when only the map was found, or once it gave no scope index */
  minified: string | null;
  /** undefined until first needed, null when the minified file does not parse */
  scopes?: ScopeIndex | null;
  minifiedLineStarts?: Int32Array;
  /** line start offsets of every sourcesContent, built with the map so the cache weighs them */
  sourceLines: SourceLines;
  /** what it is estimated to keep on the heap, for the cache's byte bound */
  weight: number;
  /**
   * Told of bytes the map comes to hold after it was weighed (what symbolicate.ts remembers of
   * its positions), negative when they are let go; set by the cache that holds the map.
   */
  onGrow?: (bytes: number) => void;
};

/** Source i's line starts are starts[offsets[i]] .. starts[offsets[i + 1] - 1]; none for a source without content. */
export type SourceLines = { starts: Int32Array; offsets: Int32Array };

export class InvalidSourceMapError extends Error {}
export { MapTooLargeError };

/**
 * Parses and decodes a map. Before decoding, what it claims is held to what its minified file
 * can hold (bounds.ts): past that, MapTooLargeError. What is not a map: InvalidSourceMapError.
 */
export function loadMap(url: string, mapBytes: Buffer, minified: string | null): LoadedMap {
  let parsed: unknown;
  try {
    parsed = JSON.parse(mapBytes.toString("utf8"));
  } catch {
    throw new InvalidSourceMapError("not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new InvalidSourceMapError("not a source map object");
  const raw = parsed as Record<string, unknown>;
  // Index maps ({sections}) are flattened by trace-mapping; anything else needs version 3 mappings.
  if (!Array.isArray(raw.sections) && (typeof raw.mappings !== "string" || !Array.isArray(raw.sources)))
    throw new InvalidSourceMapError("no mappings or sources");
  // counted up to the ceiling only: a file of newlines is no reason to scan all of it
  const extent = minified === null ? null : { bytes: minified.length, lines: countChar(minified, "\n", MAX_GENERATED_LINES) + 1 };
  checkMapExtent(raw, boundsFor(extent), (message) => new InvalidSourceMapError(message));
  let map: CompactMap;
  try {
    map = compactMap(raw);
  } catch (error) {
    throw new InvalidSourceMapError((error as Error).message);
  }
  const sourceLines = sourceLineTables(map.sourcesContent);
  const weight = compactMapBytes(map) + (minified?.length ?? 0) + sourceLines.starts.byteLength + sourceLines.offsets.byteLength;
  return { url, map, minified, sourceLines, weight };
}

/** The line tables of every source's content, in one array; MapTooLargeError past MAX_SOURCE_LINES in all. */
function sourceLineTables(contents: readonly (string | null)[] | null): SourceLines {
  const count = contents?.length ?? 0;
  const offsets = new Int32Array(count + 1);
  let total = 0;
  for (let i = 0; i < count; i++) {
    offsets[i] = total;
    const content = contents![i];
    if (typeof content === "string") total += countChar(content, "\n", MAX_SOURCE_LINES - total) + 1;
    if (total > MAX_SOURCE_LINES) throw new MapTooLargeError(`sourcesContent has more than ${MAX_SOURCE_LINES} lines`);
  }
  offsets[count] = total;
  const starts = new Int32Array(total);
  for (let i = 0; i < count; i++) {
    const content = contents![i];
    if (typeof content !== "string") continue;
    let n = offsets[i]!;
    starts[n++] = 0;
    for (let at = content.indexOf("\n"); at >= 0; at = content.indexOf("\n", at + 1)) starts[n++] = at + 1;
  }
  return { starts, offsets };
}

export type OriginalPosition = {
  sourceIndex: number;
  /** 1-based, as frames count */
  line: number;
  column: number;
  /** the original name at this position, when the map has one */
  name?: string;
};

/** (1-based line, 1-based column) in the minified file to the original, null when unmapped. */
export function originalPosition(loaded: LoadedMap, line: number, column: number): OriginalPosition | null {
  const { segments, names } = loaded.map;
  const segment = segmentAt(loaded.map, line - 1, Math.max(0, column - 1));
  const at = segment * SEGMENT_FIELDS;
  if (segment < 0 || segments[at + 1]! < 0) return null;
  const name = segments[at + 4]! >= 0 ? names[segments[at + 4]!] : undefined;
  return { sourceIndex: segments[at + 1]!, line: segments[at + 2]! + 1, column: segments[at + 3]! + 1, name: name ?? undefined };
}

/** The source's URL as the map names it (sourceRoot applied), and its content when the map has it. */
export function sourceOf(loaded: LoadedMap, index: number): { url: string; content: string | null } {
  const map = loaded.map;
  const url = map.sources[index] ?? map.resolvedSources[index] ?? "";
  const content = map.sourcesContent?.[index];
  return { url, content: typeof content === "string" ? content : null };
}

/** The lines around `line` (1-based) of a source, Sentry's context: 5 before, 5 after. */
export function contextAround(
  loaded: LoadedMap,
  sourceIndex: number,
  content: string,
  line: number,
  column: number,
): { contextLine: string; preContext: string[]; postContext: string[] } | null {
  const { offsets } = loaded.sourceLines;
  if (sourceIndex < 0 || sourceIndex + 1 >= offsets.length) return null;
  const starts = loaded.sourceLines.starts.subarray(offsets[sourceIndex]!, offsets[sourceIndex + 1]!);
  if (line < 1 || line > starts.length) return null;
  const lineAt = (n: number) => {
    const from = starts[n - 1]!;
    const to = n < starts.length ? starts[n]! - 1 : content.length;
    return content.slice(from, to).replace(/\r$/, "");
  };
  const pre: string[] = [];
  for (let n = Math.max(1, line - CONTEXT_LINES); n < line; n++) pre.push(trimLine(lineAt(n)));
  const post: string[] = [];
  for (let n = line + 1; n <= Math.min(starts.length, line + CONTEXT_LINES); n++) post.push(trimLine(lineAt(n)));
  return { contextLine: trimLine(lineAt(line), column), preContext: pre, postContext: post };
}

const CONTEXT_LINES = 5;
const LINE_MAX = 150;

/** Sentry's trim_line: a long line is cut to a window around the column, marked `{snip}`. */
export function trimLine(line: string, column = 0): string {
  if (line.length <= LINE_MAX) return line;
  const start = Math.max(0, Math.min(column - 60, line.length - 140));
  const end = Math.min(line.length, start + 140);
  return `${start > 0 ? "{snip} " : ""}${line.slice(start, end)}${end < line.length ? " {snip}" : ""}`;
}

export function lineStarts(text: string): Int32Array {
  let count = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) count++;
  const starts = new Int32Array(count);
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts[n++] = i + 1;
  return starts;
}

/**
 * The original name of the function enclosing (line, column) of the minified file: its name
 * token mapped back (`Class.method` for class members); undefined at the top level, in an
 * anonymous function, or when the minified file is unknown or does not parse.
 */
export function enclosingFunctionName(loaded: LoadedMap, line: number, column: number): string | undefined {
  if (loaded.minified === null) return undefined;
  prepareScopes(loaded);
  const scopes = loaded.scopes;
  const starts = loaded.minifiedLineStarts!;
  if (!scopes || line < 1 || line > starts.length) return undefined;
  const scope = scopeAt(scopes, starts[line - 1]! + column - 1);
  if (scope < 0) return undefined;
  const name = originalNameAt(loaded, scopes.nameTokens[scope]!);
  if (name === undefined) return undefined;
  const klass = scopes.classTokens[scope]!;
  const className = klass >= 0 ? originalNameAt(loaded, klass) : undefined;
  return className ? `${className}.${name}` : name;
}

/**
 * Parses the minified file into its scope index, once: done when the map is loaded, before it
 * enters the cache, so the cache weighs it (the parse is the larger part of a cold map's cost).
 */
export function prepareScopes(loaded: LoadedMap): void {
  if (loaded.scopes !== undefined || loaded.minified === null) return;
  let scopes: ScopeIndex | null = null;
  try {
    scopes = buildScopeIndex(loaded.minified);
  } catch {
    // frames are still mapped, named by the caller's call site
  }
  if (!scopes) {
    // the minified text and its line table serve only scope naming: without it, neither is kept
    // (nor weighed: 19 MB of minified code past acorn's budget would otherwise hold 19 MB)
    loaded.weight -= loaded.minified.length;
    loaded.minified = null;
    loaded.scopes = null;
    return;
  }
  loaded.scopes = scopes;
  loaded.minifiedLineStarts = lineStarts(loaded.minified);
  loaded.weight += loaded.scopes.bytes + loaded.minifiedLineStarts.byteLength;
}

const IDENTIFIER = /[\p{ID_Continue}$#\u200c\u200d]+/uy;

/** The identifier at `offset` of the minified file, by the name the map gives it or as written. */
function originalNameAt(loaded: LoadedMap, offset: number): string | undefined {
  if (offset < 0) return undefined;
  const starts = loaded.minifiedLineStarts!;
  IDENTIFIER.lastIndex = offset;
  const token = IDENTIFIER.exec(loaded.minified!)?.[0];
  if (!token) return undefined;
  // the line holding the offset: the last start at or before it
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  const { segments, names } = loaded.map;
  const at = segmentAt(loaded.map, low, offset - starts[low]!) * SEGMENT_FIELDS;
  // only a segment that starts exactly at the token names it; an earlier one names something else
  const mapped = at >= 0 && segments[at + 4]! >= 0 && segments[at] === offset - starts[low]! ? names[segments[at + 4]!] : undefined;
  return mapped ?? token.replace(/^#/, "");
}
