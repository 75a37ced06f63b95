import { ProtocolError } from "./errors";

/**
 * Reads `X-Sentry-Auth: Sentry sentry_key=..., sentry_version=7, ...` (or the same in an
 * `Authorization: Sentry ...` header, as some old SDKs send) into its fields.
 */
export function parseAuthHeader(value: string | undefined): Record<string, string> | null {
  if (!value) return null;
  const trimmed = value.trim();
  const body = /^sentry\s/i.test(trimmed) ? trimmed.slice(6) : trimmed;
  const fields: Record<string, string> = {};
  for (const part of body.split(",")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    fields[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return fields;
}

const PUBLIC_KEY = /^[0-9a-f]{32}$/;

/** Whether a sentry_key has the form of the public keys errorhub issues (32 lowercase hex). */
export function isPublicKey(key: string): boolean {
  return key.length === 32 && PUBLIC_KEY.test(key);
}

type ParsedDsn = { publicKey: string; projectId: string } | null;
// SDKs put the same DSN in every envelope header; parsing a URL per request is not free.
const dsnCache = new Map<string, ParsedDsn>();
// Far longer than any DSN errorhub hands out; longer strings are not parsed, let alone cached.
const MAX_DSN_LENGTH = 512;

/** The public key and project id of a DSN, or null when it is not one. */
export function parseDsn(dsn: string): ParsedDsn {
  if (dsn.length > MAX_DSN_LENGTH) return null;
  let parsed = dsnCache.get(dsn);
  if (parsed === undefined) {
    parsed = parseDsnUncached(dsn);
    if (dsnCache.size >= 10_000) dsnCache.clear();
    dsnCache.set(dsn, parsed);
  }
  return parsed;
}

function parseDsnUncached(dsn: string): ParsedDsn {
  try {
    const url = new URL(dsn);
    const projectId = url.pathname.split("/").filter(Boolean).at(-1);
    if (!url.username || !projectId) return null;
    return { publicKey: decodeURIComponent(url.username), projectId };
  } catch {
    return null;
  }
}

/**
 * The one public key a request authenticates with. It may come from the query string, the
 * auth header or the envelope header's DSN; any two that are given must agree.
 */
export function agreeOnKey(sources: { query?: string | null; header?: string | null; envelope?: string | null }): string | null {
  const given = [sources.query, sources.header, sources.envelope].filter((k): k is string => !!k);
  if (given.some((k) => k !== given[0])) {
    throw new ProtocolError(401, "conflicting sentry_key values in query, header and envelope");
  }
  return given[0] ?? null;
}
