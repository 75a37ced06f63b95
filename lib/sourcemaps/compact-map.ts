import { decodedMappings, FlattenMap, type SectionedSourceMapInput } from "@jridgewell/trace-mapping";

/**
 * A source map's decoded mappings in two typed arrays instead of trace-mapping's array per
 * segment: a quarter of the heap (20 bytes a segment against ~80), and what the parse thread
 * hands to the worker's main thread without copying (typed arrays are transferred, arrays of
 * arrays would be cloned, which costs as much as decoding them again).
 *
 * Decoding (and sorting, and flattening index maps) is still trace-mapping's; only the lookup
 * is ours, with the answer of trace-mapping's traceSegment (greatest lower bound: the first
 * segment at the column, else the last one before it).
 */
export type CompactMap = {
  names: (string | null)[];
  /** as the map names them (null where the map has none) */
  sources: (string | null)[];
  /** against sourceRoot */
  resolvedSources: string[];
  sourcesContent: (string | null)[] | null;
  /** generated line i has the segments lineOffsets[i] .. lineOffsets[i + 1] - 1 */
  lineOffsets: Int32Array;
  /** SEGMENT_FIELDS ints a segment: generated column, source, original line, original column, name; -1 when absent */
  segments: Int32Array;
};

export const SEGMENT_FIELDS = 5;

/** Decodes a parsed source map (plain or index map); throws what trace-mapping throws. */
export function compactMap(raw: object): CompactMap {
  const map = FlattenMap(raw as SectionedSourceMapInput);
  const decoded = decodedMappings(map) as readonly (readonly number[])[][];
  let count = 0;
  for (const line of decoded) count += line.length;
  const segments = new Int32Array(count * SEGMENT_FIELDS);
  const lineOffsets = new Int32Array(decoded.length + 1);
  let at = 0;
  for (let i = 0; i < decoded.length; i++) {
    lineOffsets[i] = at / SEGMENT_FIELDS;
    const line = decoded[i]!;
    for (let j = 0; j < line.length; j++) {
      const segment = line[j]!;
      // trace-mapping reads a segment of fewer than 4 fields as unmapped, and a name from the 5th
      const mapped = segment.length >= 4;
      segments[at] = segment[0]!;
      segments[at + 1] = mapped ? segment[1]! : -1;
      segments[at + 2] = mapped ? segment[2]! : -1;
      segments[at + 3] = mapped ? segment[3]! : -1;
      segments[at + 4] = segment.length >= 5 ? segment[4]! : -1;
      at += SEGMENT_FIELDS;
    }
  }
  lineOffsets[decoded.length] = count;
  const strings = (values: unknown) =>
    Array.isArray(values) ? values.map((value) => (typeof value === "string" ? value : null)) : null;
  return {
    names: strings(map.names) ?? [],
    sources: strings(map.sources) ?? [],
    resolvedSources: map.resolvedSources,
    sourcesContent: strings(map.sourcesContent),
    lineOffsets,
    segments,
  };
}

/**
 * The segment at (0-based line, 0-based column) as traceSegment finds it: the first segment
 * starting at the column, else the last one before it; -1 when there is none.
 */
export function segmentAt(map: CompactMap, line: number, column: number): number {
  if (line < 0 || line >= map.lineOffsets.length - 1) return -1;
  const segments = map.segments;
  const first = map.lineOffsets[line]!;
  // the number of the line's segments before the column (a lower bound by binary search)
  let low = first;
  let high = map.lineOffsets[line + 1]!;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (segments[mid * SEGMENT_FIELDS]! < column) low = mid + 1;
    else high = mid;
  }
  if (low < map.lineOffsets[line + 1]! && segments[low * SEGMENT_FIELDS] === column) return low;
  return low > first ? low - 1 : -1;
}

/** What a compact map holds on the heap, for the cache's byte bound. */
export function compactMapBytes(map: CompactMap): number {
  return (
    map.segments.byteLength +
    map.lineOffsets.byteLength +
    stringBytes(map.names) +
    stringBytes(map.sources) +
    stringBytes(map.resolvedSources) +
    stringBytes(map.sourcesContent ?? [])
  );
}

// a string's header and its slot in the array, besides its characters (one byte each, mostly)
const STRING_OVERHEAD = 24;

function stringBytes(values: readonly (string | null)[]): number {
  let bytes = 0;
  for (const value of values) bytes += STRING_OVERHEAD + (value?.length ?? 0);
  return bytes;
}

/** The typed arrays' buffers, for a postMessage transfer list. */
export function compactMapBuffers(map: CompactMap): ArrayBuffer[] {
  return [map.segments.buffer as ArrayBuffer, map.lineOffsets.buffer as ArrayBuffer];
}
