import type { IncomingMessage, ServerResponse } from "node:http";
import { agreeOnKey, parseAuthHeader, parseDsn } from "../protocol/auth";
import { readBody } from "../protocol/body";
import { type Envelope, parseEnvelope } from "../protocol/envelope";
import { ProtocolError } from "../protocol/errors";
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
 * header), read and decode the body within limits, parse it, filter, apply quotas, hand the
 * accepted items to the project's stream, and answer as Relay does.
 */
export async function ingest(req: IncomingMessage, res: ServerResponse, projectId: number, endpoint: Endpoint, query: URLSearchParams, clientIp: string): Promise<void> {
  let key: KeyInfo | null = null;
  try {
    const earlyKey = agreeOnKey({ query: query.get("sentry_key"), header: headerKey(req) });
    if (earlyKey) key = await authorize(earlyKey, projectId);

    const body = await readBody(req);
    const envelope = toEnvelope(body, endpoint);

    const envelopeKey = typeof envelope.header.dsn === "string" ? parseDsn(envelope.header.dsn)?.publicKey : null;
    const publicKey = agreeOnKey({ query: earlyKey, envelope: envelopeKey });
    if (!publicKey) throw new ProtocolError(401, "missing authentication: no sentry_key in query, X-Sentry-Auth or envelope dsn");
    key ??= await authorize(publicKey, projectId);

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
    if (key && error.status >= 400 && error.status !== 401 && error.status !== 403) {
      await countOutcome(key, "error", "invalid", error.status === 413 ? "too_large" : "invalid_data").catch(() => {});
    }
    replyError(req, res, error);
  }
}

function sentAtOf(envelope: Envelope): string | undefined {
  return typeof envelope.header.sent_at === "string" ? envelope.header.sent_at : undefined;
}

function headerKey(req: IncomingMessage): string | null {
  const header = req.headers["x-sentry-auth"] ?? req.headers.authorization;
  return parseAuthHeader(typeof header === "string" ? header : undefined)?.sentry_key ?? null;
}

async function authorize(publicKey: string, projectId: number): Promise<KeyInfo> {
  const key = await lookupKey(publicKey);
  if (!key) throw new ProtocolError(401, "unknown sentry_key");
  if (!key.active) throw new ProtocolError(403, "project key is disabled");
  if (key.projectId !== projectId) throw new ProtocolError(403, `sentry_key does not belong to project ${projectId}`);
  return key;
}

function toEnvelope(body: Buffer, endpoint: Endpoint): Envelope {
  switch (endpoint) {
    case "envelope":
      return parseEnvelope(body);
    case "store":
      return storeBodyToEnvelope(body);
    default:
      return securityBodyToEnvelope(body);
  }
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

function replyError(req: IncomingMessage, res: ServerResponse, error: ProtocolError): void {
  // A body we stopped reading (too large, refused before reading) cannot be skipped on a
  // keep-alive connection without reading it all: close the connection instead.
  const unread = !req.readableEnded;
  reply(res, error.status, { detail: error.message }, {
    "x-sentry-error": error.message,
    ...(unread ? { connection: "close" } : {}),
  });
  if (unread) req.resume();
}
