import { randomUUID } from "node:crypto";
import { inflateSync } from "node:zlib";
import type { Envelope } from "../protocol/envelope";
import { checkItemSize, checkJsonObjectShape, exceedsDepth, normalizeEventId, parseJsonPayload, topLevelElements } from "../protocol/envelope";
import { ProtocolError } from "../protocol/errors";
import { LIMITS } from "../protocol/limits";
import { categoryOf } from "../protocol/rate-limits";
import type { PreparedItem } from "./accept";
import type { KeyInfo } from "./keys";
import { METER, meterOf } from "./quota-policy";
import { checkSpanItem } from "./span-items";

/** Item types that go to the project's stream; anything else is skipped and counted. */
export const ACCEPTED_TYPES: ReadonlySet<string> = new Set([
  "event",
  "security",
  "transaction",
  "session",
  "sessions",
  "client_report",
  "check_in",
  "feedback",
  "user_report",
  "attachment",
  "span",
]);
/** Items whose payload is an event: they carry the event id, and inbound filters look at them. */
const EVENT_TYPES = new Set(["event", "security", "transaction", "feedback"]);
const DROPPED = { meter: METER.none, quantity: 1, payload: Buffer.alloc(0), eventId: "" };

export type Prepared = { items: PreparedItem[]; eventId: string | null };

/**
 * Checks an envelope's items and turns them into stream entries. An event payload is parsed
 * only when it must be: to find its id (the envelope has none) or to run the project's inbound
 * filters. Otherwise, as in Relay, ingest checks size and shape and the worker validates the
 * rest (counting what it cannot read as invalid), which keeps the hot path short.
 */
export function prepareItems(envelope: Envelope, key: KeyInfo, ctx: { clientIp: string; userAgent?: string }): Prepared {
  const envelopeEventId = envelope.header.event_id ?? null;
  let responseId = envelopeEventId;
  const items: PreparedItem[] = [];
  envelope.items.forEach((item, index) => {
    const type = item.header.type;
    const what = `item ${index + 1} (${type})`;
    if (!ACCEPTED_TYPES.has(type)) {
      // Counted as filtered under the one category "unknown", never stored: the type is the
      // sender's text and must not name a counter.
      items.push({ ...DROPPED, type: "unknown", category: "unknown", itemHeader: item.rawHeader, filterReason: "unsupported_item_type" });
      return;
    }
    if (type === "span") {
      items.push(spanItem(item, what, envelopeEventId ?? ""));
      return;
    }
    const category = categoryOf(type);
    let eventId = envelopeEventId ?? "";
    let filterReason = "";
    const filter = type === "transaction" ? null : key.filter;
    if (EVENT_TYPES.has(type) && (!eventId || filter)) {
      const event = parseJsonPayload(item.payload, what);
      if (!eventId) {
        eventId = event.event_id === undefined ? randomUUID().replace(/-/g, "") : normalizeEventId(event.event_id, `item ${index + 1}`);
      }
      filterReason = filter?.(event, ctx) || "";
    } else if (type === "attachment") {
      checkItemSize(item.payload, what);
    } else {
      checkJsonObjectShape(item.payload, what);
    }
    if (EVENT_TYPES.has(type)) responseId ??= eventId;
    items.push({
      type,
      category,
      meter: meterOf(category),
      // Attachments are metered in bytes, as Sentry counts them.
      quantity: type === "attachment" ? item.payload.length : 1,
      itemHeader: item.rawHeader,
      // A filtered item is only counted: its payload need not travel to Redis.
      payload: filterReason ? DROPPED.payload : item.payload,
      eventId,
      filterReason,
    });
  });
  return { items, eventId: responseId };
}

/**
 * Streamed spans: each segment in the container becomes a transaction, so the item counts as
 * that many against the transaction quota (none for a container of children only, whose
 * segment is counted when it comes).
 */
function spanItem(item: Envelope["items"][number], what: string, eventId: string): PreparedItem {
  const { segments } = checkSpanItem(item.payload, item.header.item_count, what);
  return {
    type: "span",
    category: "transaction",
    meter: METER.transactions,
    quantity: segments,
    itemHeader: item.rawHeader,
    payload: item.payload,
    eventId,
    filterReason: "",
  };
}

/** A legacy /store/ body: one event as JSON, or base64 of zlib-deflated JSON (old raven SDKs). */
export function storeBodyToEnvelope(body: Buffer): Envelope {
  let payload = body;
  if (firstNonSpace(body) !== "{") {
    try {
      payload = inflateSync(Buffer.from(body.toString("latin1"), "base64"), { maxOutputLength: LIMITS.eventItemBytes });
    } catch {
      throw new ProtocolError(400, "store body is neither a JSON event nor base64-encoded deflate");
    }
  }
  return synthesized([{ type: "event", payload }]);
}

/**
 * A browser security report (/security/, /csp-report/): the classic `{"csp-report": {...}}`
 * body, another `*-report` object, or a Reporting API list; each report becomes one item.
 */
export function securityBodyToEnvelope(body: Buffer): Envelope {
  // Each report is stringified again below, which recurses: a deep one would overflow the stack.
  if (exceedsDepth(body, LIMITS.jsonDepth)) throw new ProtocolError(400, `security report is nested deeper than ${LIMITS.jsonDepth} levels`);
  // Each report becomes an item: a list of many tiny ones would be many objects, so the list
  // is counted by a byte scan before it is parsed, under the envelope's item limit.
  if (topLevelElements(body) > LIMITS.envelopeItems) {
    throw new ProtocolError(413, `more than ${LIMITS.envelopeItems} security reports in one request`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new ProtocolError(400, "security report is not valid JSON");
  }
  const reports = Array.isArray(parsed) ? parsed.map(reportingApiToLegacy) : [parsed];
  if (reports.length === 0 || !reports.every((r) => typeof r === "object" && r !== null)) {
    throw new ProtocolError(400, "security report is not a report object or a list of reports");
  }
  return synthesized(reports.map((report) => ({ type: "security", payload: Buffer.from(JSON.stringify(report)) })));
}

// Reporting API: [{ "type": "csp-violation", "body": { "blockedURL": ... } }]
function reportingApiToLegacy(report: unknown): unknown {
  if (typeof report !== "object" || report === null) return report;
  const { type, body } = report as { type?: unknown; body?: unknown };
  return type === "csp-violation" ? { "csp-report": body } : { [`${String(type)}-report`]: body };
}

function firstNonSpace(body: Buffer): string {
  for (const byte of body) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return String.fromCharCode(byte);
  return "";
}

function synthesized(items: { type: string; payload: Buffer }[]): Envelope {
  return {
    header: {},
    items: items.map(({ type, payload }) => ({ header: { type }, rawHeader: Buffer.from(JSON.stringify({ type })), payload })),
  };
}
