import type { ExceptionValue, Frame, NormalizedEvent } from "../events/types";
import {
  contextAround,
  enclosingFunctionName,
  type LoadedMap,
  originalPosition,
  sourceOf,
} from "./loaded-map";
import { isThirdPartySource, sourcePaths } from "./urls";
import { canonicalDebugId } from "../artifacts/file-kind";

/** Sentry's EventError, as stored in the event's `errors`: `{type, ...data}`. */
export type EventError = { type: string; url?: string; [key: string]: unknown };

/** A frame that may be symbolicated: where it points in the minified file. */
export type FrameTarget = {
  absPath: string;
  line: number;
  column: number;
  /** from debug_meta.images of type sourcemap whose code_file is this frame's abs_path */
  debugId: string | null;
  /** Node.js frames are already readable: no "source not found" hint when nothing is uploaded */
  node: boolean;
};

export type Resolution =
  | { map: LoadedMap; resolvedWith: "debug-id" | "release" }
  /** nothing to say: the frame stays as it is */
  | { skip: true }
  | { error: EventError };

// Paths a stack parser writes for frames without a file; and browser extensions, whose code
// nobody uploads maps for.
const NO_FILE = /^(?:<anonymous>|\[native code\]|native|eval code|<unknown>|\?)$|^(?:node:|internal\/)/;
const EXTENSION = /^(?:chrome|moz|safari(?:-web)?)-extension:\/\//;

const isJavaScript = (platform: string | undefined) => platform === "javascript" || platform === "node";

/** The event's frames that point into a file with a line and column, by exception. */
export function frameTargets(event: NormalizedEvent): (FrameTarget | null)[][] {
  if (!event.exceptions.some((e) => e.stacktrace)) return [];
  const images = debugImages(event.payload.debug_meta);
  return event.exceptions.map((exception) =>
    (exception.stacktrace?.frames ?? []).map((frame) => {
      const platform = frame.platform ?? event.platform;
      const absPath = frame.absPath;
      if (!isJavaScript(platform) || !absPath || NO_FILE.test(absPath) || EXTENSION.test(absPath)) return null;
      if (frame.lineno === undefined || frame.colno === undefined || frame.lineno < 1) return null;
      const debugId = images.get(absPath) ?? null;
      return { absPath, line: frame.lineno, column: frame.colno, debugId, node: platform === "node" };
    }),
  );
}

function debugImages(debugMeta: unknown): Map<string, string> {
  const byFile = new Map<string, string>();
  const images = (debugMeta as { images?: unknown } | undefined)?.images;
  if (!Array.isArray(images)) return byFile;
  for (const image of images.slice(0, 1000)) {
    if (typeof image !== "object" || image === null) continue;
    const { type, code_file: codeFile, debug_id: debugId } = image as Record<string, unknown>;
    const id = canonicalDebugId(debugId);
    if (type === "sourcemap" && typeof codeFile === "string" && id) byFile.set(codeFile, id);
  }
  return byFile;
}

type Json = Record<string, unknown>;

/**
 * Rewrites the event's exception frames to the original code (both the camelCase view grouping
 * reads and the stored payload), keeping the minified frames as each exception's
 * `raw_stacktrace`, and adds an error per frame that could not be mapped. Returns the
 * exceptions as they were when any frame changed (grouping keeps their hash too), else null.
 *
 * `budget` bounds the bytes this adds to the stored event (raw frames, context lines): past
 * it, frames are still mapped but carry no context, and no raw copy is kept.
 */
export function symbolicateEvent(
  event: NormalizedEvent,
  targets: (FrameTarget | null)[][],
  resolve: (target: FrameTarget) => Resolution,
  budget: { bytes: number },
): ExceptionValue[] | null {
  const errors: EventError[] = [];
  const seenErrors = new Set<string>();
  const addError = (error: EventError) => {
    const key = JSON.stringify(error);
    if (seenErrors.has(key) || errors.length >= MAX_ERRORS) return;
    seenErrors.add(key);
    errors.push(error);
  };
  const stored = ((event.payload.exception as Json | undefined)?.values ?? []) as Json[];
  const before = event.exceptions;
  let changed = false;
  const after = before.map((exception, e) => {
    const frames = exception.stacktrace?.frames;
    const storedStack = stored[e]?.stacktrace as Json | undefined;
    const storedFrames = storedStack?.frames as Json[] | undefined;
    if (!frames || !storedFrames || storedFrames.length !== frames.length) return exception;
    const mapped = mapFrames(frames, storedFrames, targets[e] ?? [], resolve, addError, budget);
    if (!mapped) return exception;
    changed = true;
    const rawBytes = JSON.stringify(storedFrames).length;
    if (budget.bytes >= rawBytes) {
      budget.bytes -= rawBytes;
      stored[e]!.raw_stacktrace = { frames: storedFrames };
    }
    storedStack!.frames = mapped.stored;
    return { ...exception, stacktrace: { ...exception.stacktrace!, frames: mapped.frames } };
  });
  if (errors.length > 0) {
    const existing = Array.isArray(event.payload.errors) ? event.payload.errors : [];
    event.payload.errors = [...existing, ...errors];
  }
  if (!changed) return null;
  event.exceptions = after;
  return before;
}

const MAX_ERRORS = 50;

type Mapped = { frame: Frame; stored: Json; tokenName?: string } | null;

function mapFrames(
  frames: Frame[],
  storedFrames: Json[],
  targets: (FrameTarget | null)[],
  resolve: (target: FrameTarget) => Resolution,
  addError: (error: EventError) => void,
  budget: { bytes: number },
): { frames: Frame[]; stored: Json[] } | null {
  const results: Mapped[] = frames.map((frame, i) => {
    const target = targets[i];
    if (!target) return null;
    const resolution = resolve(target);
    if ("skip" in resolution) return null;
    if ("error" in resolution) {
      addError(resolution.error);
      return null;
    }
    return mapFrame(frame, storedFrames[i]!, target, resolution, addError, budget);
  });
  if (results.every((r) => r === null)) return null;
  // A frame whose function has no name of its own takes the name its caller called it by (the
  // token at the caller's call site), then its minified name.
  for (let i = 0; i < results.length; i++) {
    const result = results[i];
    if (!result || result.frame.function !== undefined) continue;
    const callerName = results[i - 1]?.tokenName;
    const name = callerName ?? frames[i]!.function;
    result.frame.function = name;
    if (name !== undefined) result.stored.function = name;
    else delete result.stored.function;
  }
  return {
    frames: results.map((r, i) => r?.frame ?? frames[i]!),
    stored: results.map((r, i) => r?.stored ?? storedFrames[i]!),
  };
}

function mapFrame(
  frame: Frame,
  storedFrame: Json,
  target: FrameTarget,
  { map, resolvedWith }: { map: LoadedMap; resolvedWith: "debug-id" | "release" },
  addError: (error: EventError) => void,
  budget: { bytes: number },
): Mapped {
  const info = originalFrame(map, target.line, target.column);
  if (!info) {
    addError({ type: "js_invalid_sourcemap_location", url: target.absPath, row: target.line, column: target.column });
    return null;
  }
  const { absPath, filename, functionName, lineno, colno } = info;
  const mapped: Frame = {
    ...frame,
    filename,
    absPath,
    module: undefined,
    function: functionName,
    lineno,
    colno,
    contextLine: undefined,
    preContext: undefined,
    postContext: undefined,
    inApp: info.thirdParty ? false : frame.inApp,
  };
  const stored: Json = { ...storedFrame, filename, abs_path: absPath, lineno, colno };
  delete stored.module;
  delete stored.context_line;
  delete stored.pre_context;
  delete stored.post_context;
  if (functionName !== undefined) stored.function = functionName;
  if (mapped.inApp !== undefined) stored.in_app = mapped.inApp;
  stored.data = {
    ...(typeof storedFrame.data === "object" && storedFrame.data !== null ? storedFrame.data : {}),
    sourcemap: map.url,
    symbolicated: true,
    resolved_with: resolvedWith,
  };
  if (info.sourceUrl !== null) {
    addError({ type: "js_missing_sources_content", url: map.url, source: info.sourceUrl });
  } else if (info.context && info.contextBytes <= budget.bytes) {
    budget.bytes -= info.contextBytes;
    mapped.contextLine = stored.context_line = info.context.contextLine;
    mapped.preContext = stored.pre_context = info.context.preContext;
    mapped.postContext = stored.post_context = info.context.postContext;
  }
  return { frame: mapped, stored, tokenName: info.tokenName };
}

/** What a minified position maps to; `sourceUrl` is set only when the map lacks its content. */
type OriginalFrame = {
  absPath: string;
  filename: string;
  functionName?: string;
  lineno: number;
  colno: number;
  tokenName?: string;
  thirdParty: boolean;
  sourceUrl: string | null;
  context?: { contextLine: string; preContext: string[]; postContext: string[] };
  contextBytes: number;
};

// The same few throw sites recur in event after event: each map remembers what its positions
// map to (bounded per map; the arrays are shared by the events, which never change them). What
// is remembered is added to the map's weight in the cache (up to ~4 MB a map: 2000 positions
// with their context lines).
const resolvedPositions = new WeakMap<LoadedMap, { frames: Map<string, OriginalFrame | null>; bytes: number }>();
const POSITIONS_PER_MAP = 2000;
// a remembered position besides its context: the key, the object, its paths and names
const POSITION_OVERHEAD = 256;

function originalFrame(map: LoadedMap, line: number, column: number): OriginalFrame | null {
  let remembered = resolvedPositions.get(map);
  if (!remembered) {
    remembered = { frames: new Map(), bytes: 0 };
    resolvedPositions.set(map, remembered);
  }
  const memo = remembered.frames;
  const key = `${line}:${column}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const position = originalPosition(map, line, column);
  let result: OriginalFrame | null = null;
  if (position) {
    const source = sourceOf(map, position.sourceIndex);
    const { absPath, filename } = sourcePaths(map.url, source.url);
    const context =
      source.content === null
        ? undefined
        : safely(() => contextAround(map, position.sourceIndex, source.content!, position.line, position.column)) ?? undefined;
    result = {
      absPath,
      filename,
      functionName: safely(() => enclosingFunctionName(map, line, column)),
      lineno: position.line,
      colno: position.column,
      tokenName: position.name,
      thirdParty: isThirdPartySource(absPath, filename),
      sourceUrl: source.content === null ? source.url : null,
      context,
      contextBytes: context
        ? context.contextLine.length + context.preContext.join("").length + context.postContext.join("").length + 64
        : 0,
    };
  }
  if (memo.size >= POSITIONS_PER_MAP) {
    memo.clear();
    map.onGrow?.(-remembered.bytes);
    remembered.bytes = 0;
  }
  memo.set(key, result);
  const bytes = POSITION_OVERHEAD + (result ? result.contextBytes + result.absPath.length + result.filename.length : 0);
  remembered.bytes += bytes;
  map.onGrow?.(bytes);
  return result;
}

/** Scope mapping and context are extras: a failure in them keeps the mapped frame. */
function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
