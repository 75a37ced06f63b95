import { type Grouping, groupEvent } from "./grouping";
import { normalizeEvent } from "./normalize";
import type { StreamEntry } from "./stream";
import type { NormalizedEvent } from "./types";

export type PreparedEvent = { entryId: string; event: NormalizedEvent; grouping: Grouping };
export type PreparedTransaction = { entryId: string; event: NormalizedEvent; raw: Record<string, unknown> };
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
  /** entries that could not be processed (counted as invalid outcomes) */
  invalid: { entryId: string; category: string; reason: string }[];
};

/**
 * Turns stream entries into what the batch transaction stores: events normalized, scrubbed
 * and grouped; other items parsed. Pure CPU work: no queries.
 */
export function prepareBatch(entries: StreamEntry[], options: { scrub: boolean }): PreparedBatch {
  const batch: PreparedBatch = { events: [], transactions: [], others: [], invalid: [] };
  for (const entry of entries) {
    try {
      prepareEntry(entry, options, batch);
    } catch {
      // A payload ingest let through but we cannot process must not block the project's
      // stream: it is counted and dropped.
      batch.invalid.push({ entryId: entry.id, category: categoryOf(entry.type), reason: "processing_error" });
    }
  }
  return batch;
}

function prepareEntry(entry: StreamEntry, options: { scrub: boolean }, batch: PreparedBatch): void {
  const context = {
    eventId: entry.eventId,
    receivedAt: entry.receivedAt,
    clientIp: entry.clientIp,
    sentAt: typeof entry.envelopeHeader.sent_at === "string" ? entry.envelopeHeader.sent_at : undefined,
    scrub: options.scrub,
  };
  switch (entry.type) {
    case "event":
    case "security": {
      const event = normalizeEvent(parseJson(entry.payload), { ...context, itemType: entry.type });
      batch.events.push({ entryId: entry.id, event, grouping: groupEvent(event) });
      return;
    }
    case "transaction": {
      const raw = parseJson(entry.payload);
      batch.transactions.push({
        entryId: entry.id,
        raw,
        event: normalizeEvent(raw, { ...context, itemType: "transaction" }),
      });
      return;
    }
    case "attachment":
      batch.others.push({ entryId: entry.id, type: entry.type, data: {}, entry });
      return;
    default:
      batch.others.push({ entryId: entry.id, type: entry.type, data: parseJson(entry.payload), entry });
  }
}

function parseJson(payload: Buffer): Record<string, unknown> {
  const value = JSON.parse(payload.toString("utf8"));
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error("payload is not a JSON object");
  return value;
}

function categoryOf(type: string): string {
  if (type === "event") return "error";
  if (type === "session" || type === "sessions") return "session";
  return type;
}
