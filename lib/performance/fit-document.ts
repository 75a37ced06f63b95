import { truncate } from "./span-data";
import type { StoredSpan } from "./types";

/**
 * The most a stored transaction document may take, as UTF-8 JSON. A typical SDK transaction of
 * 30 spans is about 8 KB, and 1,000 spans without their data about 250 KB, so this keeps every
 * span's timing of any transaction an SDK sends; what it stops is a 1 MiB item of data the
 * waterfall and trace views (which read whole documents, every transaction of a trace) would
 * parse on each view.
 */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
// The trimming notes added after fitting.
const NOTES_RESERVE = 1024;
const SHORT_DESCRIPTION = 200;

// Fields of the document the performance views read; everything else (request, breadcrumbs,
// extra, user, modules, other contexts, the SDK's own errors) is context that goes first.
const CORE = new Set([
  "event_id",
  "type",
  "transaction",
  "timestamp",
  "start_timestamp",
  "received",
  "level",
  "platform",
  "release",
  "environment",
  "dist",
  "server_name",
  "tags",
  "contexts",
  "measurements",
  "spans",
]);

export type Fitted = {
  json: Buffer;
  /** spans dropped, from the end, to fit */
  droppedSpans: number;
  /** what was left out to fit, for the document's own errors */
  removed: string[];
};

/**
 * Serializes a transaction document within MAX_DOCUMENT_BYTES (less a reserve for the notes
 * of what was trimmed). When it is larger, it gives up, in this order, until it fits: span data
 * and tags (largest first), fields outside CORE (largest first) and contexts other than trace,
 * descriptions beyond 200 characters, and finally spans from the last one sent. `spans` is the
 * document's own list, trimmed in place.
 */
export function fitDocument(doc: Record<string, unknown>, spans: StoredSpan[]): Fitted {
  const limit = MAX_DOCUMENT_BYTES - NOTES_RESERVE;
  const fitted: Fitted = { json: Buffer.from(JSON.stringify(doc)), droppedSpans: 0, removed: [] };
  if (fitted.json.length <= limit) return fitted;
  for (const stage of [dropSpanData, dropContext, shortenDescriptions]) {
    stage(doc, spans, fitted.json.length - limit, fitted);
    fitted.json = Buffer.from(JSON.stringify(doc));
    if (fitted.json.length <= limit) return fitted;
  }
  // The sizes are estimates (separators, escapes): spans go until the document itself fits.
  while (fitted.json.length > limit && spans.length > 0) {
    dropLastSpans(doc, spans, fitted.json.length - limit, fitted);
    fitted.json = Buffer.from(JSON.stringify(doc));
  }
  return fitted;
}

type Stage = (doc: Record<string, unknown>, spans: StoredSpan[], excess: number, fitted: Fitted) => void;

const bytes = (value: unknown) => (value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value)));

/** Removes the largest parts first until their sizes add up to `excess`. */
function removeLargest<T>(parts: T[], sizeOf: (part: T) => number, excess: number, remove: (part: T) => void): void {
  const sized = parts.map((part) => ({ part, size: sizeOf(part) })).sort((a, b) => b.size - a.size);
  let freed = 0;
  for (const { part, size } of sized) {
    if (freed >= excess || size === 0) break;
    remove(part);
    freed += size;
  }
}

const dropSpanData: Stage = (_doc, spans, excess, fitted) => {
  removeLargest(
    spans,
    (span) => bytes(span.data) + bytes(span.tags),
    excess,
    (span) => {
      span.data = undefined;
      span.tags = undefined;
    },
  );
  fitted.removed.push("spans.data");
};

const dropContext: Stage = (doc, _spans, excess, fitted) => {
  const contexts = doc.contexts;
  const trace = typeof contexts === "object" && contexts !== null ? (contexts as Record<string, unknown>).trace : undefined;
  const keys = Object.keys(doc).filter((key) => !CORE.has(key));
  const otherContexts = "contexts (but trace)";
  removeLargest(
    [...keys, otherContexts],
    (key) => (key === otherContexts ? bytes(contexts) - bytes(trace) : bytes(doc[key]) + key.length + 4),
    excess,
    (key) => {
      if (key === otherContexts) doc.contexts = trace === undefined ? undefined : { trace };
      else doc[key] = undefined;
      fitted.removed.push(key);
    },
  );
};

const shortenDescriptions: Stage = (_doc, spans, _excess, fitted) => {
  for (const span of spans)
    if (span.description !== undefined && span.description.length > SHORT_DESCRIPTION)
      span.description = truncate(span.description, SHORT_DESCRIPTION);
  fitted.removed.push("spans.description");
};

const dropLastSpans: Stage = (_doc, spans, excess, fitted) => {
  let freed = 0;
  while (spans.length > 0 && freed < excess) {
    freed += bytes(spans.pop()) + 1;
    fitted.droppedSpans++;
  }
};
