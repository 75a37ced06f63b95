import { LIMITS } from "./limits";
import { ProtocolError } from "./errors";

export type EnvelopeHeader = {
  event_id?: string;
  dsn?: string;
  sent_at?: string;
  sdk?: { name?: string; version?: string };
  [key: string]: unknown;
};

export type ItemHeader = { type: string; length?: number; [key: string]: unknown };

/** `rawHeader`: the header line as sent, passed on as is rather than serialized again. */
export type EnvelopeItem = { header: ItemHeader; rawHeader: Buffer; payload: Buffer };

export type Envelope = { header: EnvelopeHeader; items: EnvelopeItem[] };

const NEWLINE = 0x0a;

/**
 * Parses a Sentry envelope: a JSON header line, then items, each a JSON header line and a
 * payload of exactly `length` bytes, or up to the next newline when the header has no length.
 * https://develop.sentry.dev/sdk/data-model/envelopes/
 */
export function parseEnvelope(body: Buffer): Envelope {
  let offset = 0;
  const readLine = (): Buffer | null => {
    if (offset >= body.length) return null;
    const end = body.indexOf(NEWLINE, offset);
    const line = body.subarray(offset, end === -1 ? body.length : end);
    offset = end === -1 ? body.length : end + 1;
    return line;
  };

  const header = parseEnvelopeHeader(readLine());

  const items: EnvelopeItem[] = [];
  for (;;) {
    // Blank lines between or after items are skipped a byte at a time: a body of millions of
    // newlines must not cost a Buffer per line.
    while (offset < body.length && isSpace(body[offset]!)) offset++;
    const line = readLine();
    if (line === null) break;
    if (items.length === LIMITS.envelopeItems) {
      throw new ProtocolError(413, `envelope has more than ${LIMITS.envelopeItems} items`);
    }
    const itemHeader = parseObject(line, `item ${items.length + 1} header`) as ItemHeader;
    if (typeof itemHeader.type !== "string" || itemHeader.type === "") {
      throw new ProtocolError(400, `item ${items.length + 1} header has no type`);
    }
    let payload: Buffer;
    if (itemHeader.length !== undefined) {
      const length = itemHeader.length;
      if (!Number.isSafeInteger(length) || length < 0) {
        throw new ProtocolError(400, `item ${items.length + 1} has an invalid length`);
      }
      if (offset + length > body.length) {
        throw new ProtocolError(400, `item ${items.length + 1} is shorter than its length of ${length} bytes`);
      }
      payload = body.subarray(offset, offset + length);
      offset += length;
      // The payload is followed by a newline, or by the end of the envelope.
      if (offset < body.length) {
        if (body[offset] !== NEWLINE) {
          throw new ProtocolError(400, `item ${items.length + 1} is longer than its length of ${length} bytes`);
        }
        offset += 1;
      }
    } else {
      payload = readLine() ?? Buffer.alloc(0);
    }
    items.push({ header: itemHeader, rawHeader: line, payload });
  }
  return { header, items };
}

/** An envelope's first line: a JSON object, its event_id (if any) normalized. */
export function parseEnvelopeHeader(line: Buffer | null): EnvelopeHeader {
  if (!line || isBlank(line)) throw new ProtocolError(400, "empty envelope: no header line");
  const header = parseObject(line, "envelope header") as EnvelopeHeader;
  if (header.event_id !== undefined) header.event_id = normalizeEventId(header.event_id, "envelope header");
  return header;
}

function parseObject(line: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line.toString("utf8"));
  } catch {
    throw new ProtocolError(400, `${what} is not valid JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError(400, `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (!isSpace(byte)) return false;
  return true;
}

const EVENT_ID = /^[0-9a-f]{32}$/;

/** Event ids come dashed or undashed, in any case; we keep 32 lowercase hex characters. */
export function normalizeEventId(value: unknown, where: string): string {
  if (typeof value === "string") {
    const id = value.replace(/-/g, "").toLowerCase();
    if (EVENT_ID.test(id)) return id;
  }
  throw new ProtocolError(400, `${where}: invalid event_id`);
}

/** Refuses an item payload over the event size limit, or the one given (413). */
export function checkItemSize(payload: Buffer, what: string, maxBytes: number = LIMITS.eventItemBytes): void {
  if (payload.length > maxBytes) {
    throw new ProtocolError(413, `${what} is larger than ${maxBytes} bytes`);
  }
}

/**
 * What ingest checks of a JSON payload it does not parse: the size, and that it looks like
 * one object. Full validation is the worker's, which counts what it cannot read as invalid.
 */
export function checkJsonObjectShape(payload: Buffer, what: string, maxBytes: number = LIMITS.eventItemBytes): void {
  checkItemSize(payload, what, maxBytes);
  let start = 0;
  let end = payload.length - 1;
  while (start <= end && isSpace(payload[start]!)) start++;
  while (end >= start && isSpace(payload[end]!)) end--;
  if (payload[start] !== 0x7b || payload[end] !== 0x7d) throw new ProtocolError(400, `${what} is not a JSON object`);
}

const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * Parses a JSON item payload into an object, refusing non-objects and absurd nesting (which
 * would make later processing recurse without bound).
 */
export function parseJsonPayload(payload: Buffer, what: string): Record<string, unknown> {
  checkItemSize(payload, what);
  if (exceedsDepth(payload, LIMITS.jsonDepth)) {
    throw new ProtocolError(400, `${what} is nested deeper than ${LIMITS.jsonDepth} levels`);
  }
  return parseObject(payload, what);
}

// A byte scan, cheaper than parsing: brackets inside strings are skipped. Depth cannot exceed
// the number of opening brackets, counted first with the much faster indexOf.
export function exceedsDepth(json: Buffer, max: number): boolean {
  let opening = 0;
  for (const bracket of [0x7b, 0x5b]) {
    for (let at = json.indexOf(bracket); at !== -1 && opening <= max; at = json.indexOf(bracket, at + 1)) opening++;
  }
  if (opening <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * At least the number of elements of a JSON array (1 for anything else), by a byte scan that
 * counts commas at the top level: for refusing a list of too many security reports before an
 * item is built for each.
 */
export function topLevelElements(json: Buffer): number {
  let start = 0;
  while (start < json.length && isSpace(json[start]!)) start++;
  if (json[start] !== 0x5b) return 1;
  let commas = 0;
  let depth = 0;
  let inString = false;
  for (let i = start; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && depth === 1) commas++;
  }
  return commas + 1;
}
