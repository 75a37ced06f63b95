import { randomUUID } from "node:crypto";
import { inflateSync } from "node:zlib";
import type { Envelope, EnvelopeItem } from "../protocol/envelope";
import { normalizeEventId, parseJsonPayload } from "../protocol/envelope";
import { ProtocolError } from "../protocol/errors";
import { LIMITS } from "../protocol/limits";
import { categoryOf } from "../protocol/rate-limits";
import type { PreparedItem } from "./accept";
import type { KeyInfo } from "./keys";

/** Item types that go to the project's stream; anything else is skipped and counted. */
const ACCEPTED_TYPES = new Set([
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
]);
/** Items whose payload is an event, parsed here to validate, filter and find the event id. */
const EVENT_TYPES = new Set(["event", "security", "transaction", "feedback"]);
const DROPPED = { limited: false, payload: Buffer.alloc(0), eventId: "" };

/** Categories the key rate limit, monthly quota and spike protection count. */
const LIMITED_CATEGORIES = new Set(["error", "security"]);

export type Prepared = { items: PreparedItem[]; eventId: string | null };

/**
 * Validates an envelope's items and turns them into stream entries: event payloads are
 * parsed (400 when malformed), the envelope's event_id wins over the payload's, inbound
 * filters run, unknown item types are only counted.
 */
export function prepareItems(envelope: Envelope, key: KeyInfo, ctx: { clientIp: string; userAgent?: string }): Prepared {
  const envelopeEventId = envelope.header.event_id ?? null;
  let responseId = envelopeEventId;
  const items: PreparedItem[] = [];
  envelope.items.forEach((item, index) => {
    const type = item.header.type;
    if (!ACCEPTED_TYPES.has(type)) {
      // Counted as filtered (category: the type itself), never stored.
      items.push({ ...DROPPED, type, category: type, itemHeader: JSON.stringify(item.header), filterReason: "unsupported_item_type" });
      return;
    }
    const category = categoryOf(type)!;
    let eventId = envelopeEventId ?? "";
    let filterReason = "";
    if (EVENT_TYPES.has(type)) {
      const event = parseJsonPayload(item.payload, `item ${index + 1} (${type})`);
      if (!eventId) {
        eventId = event.event_id === undefined ? randomUUID().replace(/-/g, "") : normalizeEventId(event.event_id, `item ${index + 1}`);
      }
      responseId ??= eventId;
      filterReason = (type !== "transaction" && key.filter?.(event, ctx)) || "";
    } else if (type !== "attachment") {
      checkJsonItem(item, index);
    }
    items.push({
      type,
      category,
      limited: LIMITED_CATEGORIES.has(category),
      itemHeader: JSON.stringify(item.header),
      // A filtered item is only counted: its payload need not travel to Redis.
      payload: filterReason ? DROPPED.payload : item.payload,
      eventId,
      filterReason,
    });
  });
  return { items, eventId: responseId };
}

// Non-event JSON items (sessions, client reports, check-ins) are checked for size and shape.
function checkJsonItem(item: EnvelopeItem, index: number): void {
  parseJsonPayload(item.payload, `item ${index + 1} (${item.header.type})`);
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
  return { header: {}, items: [{ header: { type: "event" }, payload }] };
}

/**
 * A browser security report (/security/, /csp-report/): the classic `{"csp-report": {...}}`
 * body, another `*-report` object, or a Reporting API list; each report becomes one item.
 */
export function securityBodyToEnvelope(body: Buffer): Envelope {
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
  return {
    header: {},
    items: reports.map((report) => ({ header: { type: "security" }, payload: Buffer.from(JSON.stringify(report)) })),
  };
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
