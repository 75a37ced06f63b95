import { type Pending, type Scope, symbolicateBatch, symbolicationTargets } from "../sourcemaps";
import { type Grouping, groupEvent } from "./grouping";
import { categoryOf } from "../protocol/rate-limits";
import type { OutcomeReason } from "../usage/outcome-values";
import { hex32 } from "../performance/ids";
import { performanceIssues } from "../performance/n-plus-one-event";
import { prepareTransaction, type TransactionDocument } from "../performance/transaction-document";
import { type PreparedSpans, prepareSpans } from "../performance/prepare-spans";
import { InvalidItemError } from "./invalid-item";
import { type NormalizeContext, normalizeEvent } from "./normalize";
import type { StreamEntry } from "./stream";
import { parseJsonObject as parseJson } from "./sanitize";
import { limitDepth } from "./scrub";
import type { ExceptionValue, NormalizedEvent } from "./types";

/** The columns of an error event the batch transaction reads. */
export type EventColumns = Pick<
  NormalizedEvent,
  "eventId" | "timestamp" | "receivedAt" | "level" | "platform" | "type" | "release" | "environment" | "userTag" | "transaction"
> & {
  /** The event's tags flattened, key then value: one array instead of one per tag. */
  flatTags: string[];
  /** contexts.trace.trace_id as 32 lowercase hex: links the error to its trace's transactions */
  traceId?: string;
};

/**
 * An error event ready to store: its columns, its grouping, and its stored JSON already
 * serialized to UTF-8 outside the JS heap. A batch lives for several young-generation
 * collections (it is prepared while the one before is stored); whatever of it stays on the
 * heap is copied by each of them and then promoted, so the parsed and normalized trees are
 * dropped here, the documents kept as Buffers, which the collector never copies, and the
 * tags as one flat array.
 */
export type PreparedEvent = {
  entryId: string;
  event: EventColumns;
  grouping: Grouping;
  payloadJson: Buffer;
  tagsJson: Buffer;
  /** the issue type a new issue of it gets when not the event's own (monitor failures: "monitor") */
  issueType?: string;
};
/** A transaction ready to store: its row and document (lib/performance/transaction-document.ts). */
export type PreparedTransaction = TransactionDocument & { entryId: string };
export type PreparedItem = {
  entryId: string;
  type: string;
  data: Record<string, unknown>;
  entry: StreamEntry;
};

export type PreparedBatch = {
  events: PreparedEvent[];
  transactions: PreparedTransaction[];
  /** sessions, client reports, check-ins, feedback, user reports, attachments */
  others: PreparedItem[];
  /** entries that could not be processed (counted as invalid outcomes, kept as dead letters) */
  invalid: { entryId: string; type: string; eventId: string; category: string; reason: string; error: unknown }[];
  /** streamed span containers: their segments are in `transactions`, their other spans here */
  spans: PreparedSpans[];
};

// prepareBatch hands the event loop back this often, so the batch being stored meanwhile (and
// other projects' jobs in this worker) keep moving while a big batch is prepared.
const YIELD_EVERY_MS = 4;

export type PrepareOptions = {
  scrub: boolean;
  /** the project whose source maps symbolicate its JavaScript events; none: no symbolication */
  symbolicate?: Scope;
};

/**
 * Turns stream entries into what the batch transaction stores: events normalized, scrubbed,
 * symbolicated and grouped; other items parsed. CPU work cut into slices of a few
 * milliseconds, and for JavaScript events with frames one lookup of source maps for the whole
 * batch (outside the batch transaction), awaited before they are grouped: grouping reads the
 * original frames.
 */
export async function prepareBatch(entries: StreamEntry[], options: PrepareOptions): Promise<PreparedBatch> {
  const batch: PreparedBatch = { events: [], transactions: [], others: [], invalid: [], spans: [] };
  const waiting: (Pending & { entry: StreamEntry })[] = [];
  let sliceStarted = performance.now();
  for (const entry of entries) {
    if (performance.now() - sliceStarted > YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStarted = performance.now();
    }
    try {
      const event = prepareEntry(entry, options, batch);
      const targets = event && options.symbolicate ? symbolicationTargets(event) : null;
      if (event && targets) waiting.push({ entry, event, targets, payloadBytes: entry.payload.length });
      else if (event) pushEvent(batch, entry, event, null);
    } catch (error) {
      invalidEntry(batch, entry, error);
    }
  }
  if (waiting.length > 0) await symbolicateWaiting(batch, waiting, options.symbolicate!, entries);
  return batch;
}

async function symbolicateWaiting(
  batch: PreparedBatch,
  waiting: (Pending & { entry: StreamEntry })[],
  scope: Scope,
  entries: StreamEntry[],
): Promise<void> {
  const raw = await symbolicateBatch(scope, waiting);
  let sliceStarted = performance.now();
  for (let i = 0; i < waiting.length; i++) {
    if (performance.now() - sliceStarted > YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStarted = performance.now();
    }
    const { entry, event } = waiting[i]!;
    try {
      pushEvent(batch, entry, event, raw[i]!);
    } catch (error) {
      invalidEntry(batch, entry, error);
    }
  }
  // in stream order, as the store expects them (the first event of a new issue is its first)
  const order = new Map(entries.map((e, i) => [e.id, i]));
  batch.events.sort((a, b) => order.get(a.entryId)! - order.get(b.entryId)!);
}

function invalidEntry(batch: PreparedBatch, entry: StreamEntry, error: unknown): void {
  // A payload ingest let through but we cannot process must not block the project's
  // stream: it is counted and goes to the dead letters.
  const { id: entryId, type, eventId } = entry;
  const reason = error instanceof InvalidItemError ? error.reason : PROCESSING_ERROR;
  batch.invalid.push({ entryId, type, eventId, category: categoryOf(type), reason, error });
}

/** The part of a prepared batch that came from these entries. */
export function preparedFor(batch: PreparedBatch, entryIds: Set<string>): PreparedBatch {
  const keep = <T extends { entryId: string }>(items: T[]) => items.filter((item) => entryIds.has(item.entryId));
  return {
    events: keep(batch.events),
    transactions: keep(batch.transactions),
    others: keep(batch.others),
    invalid: keep(batch.invalid),
    spans: keep(batch.spans),
  };
}

/** Prepares a non-event item into the batch; an error or security event is returned, to be grouped once symbolicated. */
function prepareEntry(entry: StreamEntry, options: PrepareOptions, batch: PreparedBatch): NormalizedEvent | undefined {
  const context = (itemType: NormalizeContext["itemType"]): NormalizeContext => ({
    eventId: entry.eventId,
    receivedAt: entry.receivedAt,
    clientIp: entry.clientIp,
    sentAt: entry.sentAt,
    scrub: options.scrub,
    itemType,
  });
  switch (entry.type) {
    case "event":
    case "security":
      return normalizeEvent(parseJson(entry.payload), context(entry.type));
    case "transaction":
      pushTransactions(batch, [{ entryId: entry.id, ...prepareTransaction(parseJson(entry.payload), context("transaction")) }]);
      return undefined;
    case "span": {
      const spans = prepareSpans(entry, context("transaction"));
      batch.spans.push(spans);
      pushTransactions(batch, spans.segments.values());
      return undefined;
    }
    case "attachment":
      batch.others.push({ entryId: entry.id, type: entry.type, data: {}, entry });
      return undefined;
    default:
      // Stored as jsonb (check-ins) or read field by field: bounded like an event's payload,
      // for JSON.stringify and Postgres' jsonb depth limit. Each field is validated where it
      // is read (lib/monitors, lib/sessions, lib/feedback, store-other.ts).
      batch.others.push({ entryId: entry.id, type: entry.type, data: limitDepth(parseJson(entry.payload)), entry });
  }
  return undefined;
}

/** Transactions join the batch with the events of the performance issues found in them (N+1 queries). */
function pushTransactions(batch: PreparedBatch, transactions: Iterable<PreparedTransaction>): void {
  for (const transaction of transactions) {
    batch.transactions.push(transaction);
    for (const { event, grouping, issueType } of performanceIssues(transaction))
      batch.events.push(preparedEventOf(transaction.entryId, event, grouping, issueType));
  }
}

/** `raw`: the exceptions before symbolication changed them, grouped by as well. */
function pushEvent(batch: PreparedBatch, entry: StreamEntry, event: NormalizedEvent, raw: ExceptionValue[] | null): void {
  batch.events.push(preparedEventOf(entry.id, event, groupEvent(event, raw)));
}

/** An event made by the worker itself (a monitor's failure), with a grouping of its own. */
export function preparedEventOf(entryId: string, event: NormalizedEvent, grouping: Grouping, issueType?: string): PreparedEvent {
  return {
    entryId,
    event: columnsOf(event),
    grouping,
    tagsJson: Buffer.from(JSON.stringify(event.tags)),
    payloadJson: Buffer.from(storedPayloadJson(event)),
    ...(issueType ? { issueType } : {}),
  };
}

/**
 * The event document as stored: without its tags, which have their own column (where the API
 * reads them) and were an eighth of a typical document's bytes. The tree is dropped after
 * this, so its tags are set to undefined, which JSON.stringify leaves out, rather than copied
 * out of a new object of every other field.
 */
function storedPayloadJson(event: NormalizedEvent): string {
  event.payload.tags = undefined;
  return JSON.stringify(event.payload);
}

function columnsOf(event: NormalizedEvent): EventColumns {
  const { eventId, timestamp, receivedAt, level, platform, type, release, environment, userTag, transaction } = event;
  const flatTags: string[] = [];
  for (const [key, value] of event.tags) flatTags.push(key, value);
  const traceId = traceIdOf(event.payload.contexts) ?? undefined;
  return { eventId, timestamp, receivedAt, level, platform, type, release, environment, userTag, transaction, flatTags, traceId };
}

function traceIdOf(contexts: unknown): string | null {
  const trace = typeof contexts === "object" && contexts !== null ? (contexts as { trace?: unknown }).trace : undefined;
  const id = typeof trace === "object" && trace !== null ? (trace as { trace_id?: unknown }).trace_id : undefined;
  return typeof id === "string" ? hex32(id) : null;
}

/** The outcome reason of an item the worker could not process (counted as `invalid`). */
export const PROCESSING_ERROR: OutcomeReason = "processing_error";

