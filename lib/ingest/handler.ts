import type { IncomingMessage, ServerResponse } from "node:http";
import { env } from "../env";
import { agreeOnKey, isPublicKey, parseAuthHeader, parseDsn } from "../protocol/auth";
import { BodyMemory, BodyReader, decode, encodingsOf, firstLine } from "../protocol/body";
import { type Envelope, parseEnvelope, parseEnvelopeHeader } from "../protocol/envelope";
import { ProtocolError } from "../protocol/errors";
import { LIMITS } from "../protocol/limits";
import { formatRateLimits } from "../protocol/rate-limits";
import { acceptItems, countOutcome } from "./accept";
import { prepareItems, securityBodyToEnvelope, storeBodyToEnvelope } from "./items";
import { type KeyInfo, lookupKey } from "./keys";

export type Endpoint = "envelope" | "store" | "security" | "csp-report";

export const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "x-sentry-error, x-sentry-rate-limits, retry-after",
};

const PREFLIGHT_HEADERS = {
  ...CORS_HEADERS,
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers":
    "x-sentry-auth, x-requested-with, origin, accept, content-type, content-encoding, authorization, sentry-trace, baggage",
  "access-control-max-age": "3600",
};

export function preflight(req: IncomingMessage, res: ServerResponse): void {
  const requested = req.headers["access-control-request-headers"];
  res.writeHead(200, requested ? { ...PREFLIGHT_HEADERS, "access-control-allow-headers": requested } : PREFLIGHT_HEADERS);
  res.end();
}

/**
 * One ingest request: authenticate (before reading the body when the key is in the query or
 * header; from the envelope header's dsn, read and decompressed only that far, when not),
 * read and decode the body within limits and the process's body-memory budget, parse it,
 * filter, apply quotas, hand the accepted items to the project's stream, and answer as Relay
 * does.
 */
export async function ingest(req: IncomingMessage, res: ServerResponse, projectId: number, endpoint: Endpoint, query: URLSearchParams, clientIp: string): Promise<void> {
  let key: KeyInfo | null = null;
  const memory = new BodyMemory(bodyMemoryCap());
  try {
    const earlyKey = agreeOnKey({ query: query.get("sentry_key"), header: headerKey(req) });
    if (earlyKey) key = await authorize(earlyKey, projectId);

    const body = new BodyReader(req, memory);
    const encodings = encodingsOf(req.headers["content-encoding"]);
    if (!key) {
      // Only an envelope carries a key in its body; other bodies are refused before reading.
      if (endpoint !== "envelope") throw new ProtocolError(401, "missing authentication: no sentry_key in query or X-Sentry-Auth");
      key = await authorizeByEnvelopeHeader(body, encodings, memory, projectId);
    }
    let envelope: Envelope;
    if (endpoint === "envelope") {
      await body.readUntil(LIMITS.bodyBytes);
      envelope = parseEnvelope(await decode(body.buffer, encodings, LIMITS.decompressedBytes, memory));
      const envelopeKey = typeof envelope.header.dsn === "string" ? parseDsn(envelope.header.dsn)?.publicKey : null;
      agreeOnKey({ query: earlyKey, envelope: envelopeKey });
    } else {
      await body.readUntil(LIMITS.eventItemBytes);
      const decoded = await decode(body.buffer, encodings, LIMITS.eventItemBytes, memory);
      envelope = endpoint === "store" ? storeBodyToEnvelope(decoded) : securityBodyToEnvelope(decoded);
    }

    const userAgent = req.headers["user-agent"];
    const prepared = prepareItems(envelope, key, { clientIp, userAgent });
    if (prepared.items.length === 0) return reply(res, 200, {});

    const result = await acceptItems(key, prepared.items, clientIp, sentAtOf(envelope));
    const body200 = prepared.eventId ? { id: prepared.eventId } : {};
    if (result.rateLimits.length === 0) return reply(res, 200, body200);
    const headers = {
      "x-sentry-rate-limits": formatRateLimits(result.rateLimits),
      "retry-after": String(Math.ceil(Math.max(...result.rateLimits.map((l) => l.retryAfterSeconds)))),
    };
    // Some items accepted: 200 with the limits for the rest; none: 429.
    if (result.accepted > 0 || prepared.items.some((i) => i.filterReason)) return reply(res, 200, body200, headers);
    return reply(res, 429, { detail: `rate limited: ${result.rateLimits.map((l) => l.reason).join(", ")}` }, headers);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    // A 429 for memory is a "later", not a loss: the SDK retries or counts its own drop.
    if (key && error.status >= 400 && error.status !== 401 && error.status !== 403 && error.status !== 429) {
      await countOutcome(key, "error", "invalid", error.status === 413 ? "too_large" : "invalid_data").catch(() => {});
    }
    replyError(req, res, error);
  } finally {
    memory.release();
  }
}

/**
 * A tunnel's envelope has its key only in the header line's dsn. A stranger must not make
 * ingest hold or decompress more than that line, so the body is read and decoded only as far
 * as LIMITS.preAuthBytes until the key checks out.
 */
async function authorizeByEnvelopeHeader(body: BodyReader, encodings: string[], memory: BodyMemory, projectId: number): Promise<KeyInfo> {
  await body.readUntil(LIMITS.bodyBytes, LIMITS.preAuthBytes);
  const line = await firstLine(body.buffer, encodings, LIMITS.preAuthBytes, memory);
  const dsn = parseEnvelopeHeader(line).dsn;
  const publicKey = typeof dsn === "string" ? parseDsn(dsn)?.publicKey : null;
  if (!publicKey) throw new ProtocolError(401, "missing authentication: no sentry_key in query, X-Sentry-Auth or envelope dsn");
  return authorize(publicKey, projectId);
}

let memoryCap: number | undefined;
export const bodyMemoryCap = () => (memoryCap ??= env().INGEST_BODY_MEMORY_MB * 1024 * 1024);

function sentAtOf(envelope: Envelope): string | undefined {
  return typeof envelope.header.sent_at === "string" ? envelope.header.sent_at : undefined;
}

export function headerKey(req: IncomingMessage): string | null {
  const header = req.headers["x-sentry-auth"] ?? req.headers.authorization;
  return parseAuthHeader(typeof header === "string" ? header : undefined)?.sentry_key ?? null;
}

export async function authorize(publicKey: string, projectId: number): Promise<KeyInfo> {
  // Checked before any cache or lookup, so random strings of any length cost nothing.
  if (!isPublicKey(publicKey)) throw new ProtocolError(401, "sentry_key is not a DSN public key (32 hex characters)");
  const key = await lookupKey(publicKey);
  if (!key) throw new ProtocolError(401, "unknown sentry_key");
  if (!key.active) throw new ProtocolError(403, "project key is disabled");
  if (key.projectId !== projectId) throw new ProtocolError(403, `sentry_key does not belong to project ${projectId}`);
  return key;
}

export function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...CORS_HEADERS,
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

export function replyError(req: IncomingMessage, res: ServerResponse, error: ProtocolError): void {
  // A body we stopped reading (too large, refused before reading) cannot be skipped on a
  // keep-alive connection without reading it all: close the connection instead.
  const unread = !req.readableEnded;
  reply(res, error.status, { detail: error.message }, {
    "x-sentry-error": error.message,
    ...(error.retryAfterSeconds ? { "retry-after": String(error.retryAfterSeconds) } : {}),
    ...(unread ? { connection: "close" } : {}),
  });
  if (unread) req.resume();
}
