import { isObject, truncate } from "./span-data";

// Transaction names taken from a raw URL ("GET /api/orders/81723") are one group per id. Relay
// replaces the path segments that look like identifiers with "*" for names whose source is
// "url" (relay-event-normalization: transactions/processor.rs, scrub_identifiers, and the
// TRANSACTION_NAME_NORMALIZER_REGEX of regexes.rs), ported here segment by segment: a JS
// regex over the whole name, as Relay writes it (`[^/\\]*` on both sides of each pattern),
// backtracks quadratically on a long segment where Rust's automaton does not.

/** Sentry's name for the group of a transaction whose own name would pass its project's bound. */
export const UNPARAMETERIZED = "<< unparameterized >>";

// Relay keeps transaction_info.original within its culprit limit.
const MAX_ORIGINAL = 200;
// normalizeEvent cuts names to 200 characters afterwards: scrubbing more of a hostile name is
// wasted work.
const MAX_SCRUBBED = 2_000;

// `\b` in JS without the u flag is ASCII, as Relay's `(?-u:\b)`; `\s` is not, hence SPACE.
const SPACE = "[ \\t\\n\\v\\f\\r]+";
const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const UUID = /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/;
const SHA1_OR_MD5 = /\b(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{32})\b/;
const PREFIXED_HEX = /\b0[xX][0-9a-fA-F]+\b/;
// Relay's three date alternatives; the optional weekday before the last two changes nothing
// when the question is only whether a segment holds a date. Relay's grouping of them leaves the
// text before or after some date forms in place; that shows only where its integer rule does
// not take the whole segment first (a name's first segment, or digits after a stray %): here
// the whole segment goes, as everywhere else.
const DATE = new RegExp(
  [
    "[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]+)?)?(?:[+-][0-2][0-9]:[0-5][0-9]|Z)",
    `\\b${MONTH}${SPACE}[0-9]{1,2}${SPACE}[0-9]{2}:[0-9]{2}:[0-9]{2}${SPACE}[0-9]{4}`,
    `\\b(?:0[1-9]|[1-2]?[0-9]|3[01])${SPACE}${MONTH}${SPACE}(?:19[0-9]{2}|[2-9][0-9]{3})${SPACE}` +
      `(?:2[0-3]|[0-1][0-9]):[0-5][0-9](?::(?:60|[0-5][0-9]))?${SPACE}(?:[-+][0-9]{2}[0-5][0-9]|UT|GMT|[ECMP][SD]T|[A-IK-Z])`,
  ].join("|"),
);
// Beyond Relay: a bare hex id (a short hash, an ObjectId) with no two digits in a row, which
// Relay's integer rule misses (8% of random 8-character ones). A digit is required so that
// words spelt in a-f ("deadbeef", "acceded") stay.
const HEX_ID = /^[0-9a-fA-F]{8,}$/;

/**
 * The name with each `/`- or `\`-separated segment that holds an identifier replaced by `*`:
 * two digits in a row (Relay's integer rule, which also takes "order-12b" and "v10"), a UUID, a
 * SHA-1 or MD5 hex, a date, a 0x-prefixed or bare hex id of 8 or more characters. As Relay, a
 * name that would become only "*" is kept.
 */
export function scrubIdentifiers(name: string): string {
  const text = truncate(name, MAX_SCRUBBED);
  let out = "";
  let start = 0;
  let changed = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : SLASH;
    if (c !== SLASH && c !== BACKSLASH) continue;
    const segment = text.slice(start, i);
    if (isIdentifier(segment)) {
      out += "*";
      changed = true;
    } else out += segment;
    if (i < text.length) out += text[i];
    start = i + 1;
  }
  return changed && out !== "*" ? out : name;
}

function isIdentifier(segment: string): boolean {
  if (segment.length < 2) return false;
  if (hasDigitPair(segment)) return true;
  if (segment.length >= 32 && SHA1_OR_MD5.test(segment)) return true;
  if (!hasDigit(segment)) return false;
  return (
    (segment.length >= 8 && HEX_ID.test(segment)) ||
    (segment.length >= 36 && UUID.test(segment)) ||
    PREFIXED_HEX.test(segment) ||
    DATE.test(segment)
  );
}

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const PERCENT = 0x25;

/**
 * Relay's integer rule, `^(?:[^%]|%[0-9a-fA-F]{2})*[0-9]{2,}`: two digits in a row, read from
 * the segment's start through its percent escapes (whose own digits do not count); a `%` that
 * starts no escape ends the search.
 */
function hasDigitPair(segment: string): boolean {
  let run = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c === PERCENT) {
      if (!isHex(segment.charCodeAt(i + 1)) || !isHex(segment.charCodeAt(i + 2))) return false;
      i += 2;
      run = 0;
    } else if (isDigit(c)) {
      if (++run === 2) return true;
    } else run = 0;
  }
  return false;
}

function hasDigit(segment: string): boolean {
  for (let i = 0; i < segment.length; i++) if (isDigit(segment.charCodeAt(i))) return true;
  return false;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/**
 * Relay's handling of a URL-sourced transaction (source "url", or "sanitized" as a relay in
 * front of us leaves it), on the raw payload before normalization: the name scrubbed of
 * identifiers, the source marked "sanitized" whether or not anything changed (as Relay marks
 * it), and the name as sent kept in `transaction_info.original` when it changed. Other sources,
 * and payloads without one (older SDKs), are left as sent: only the SDK knows a name is a URL.
 */
export function sanitizeUrlTransactionName(payload: Record<string, unknown>): void {
  const fields = payload.transaction_info;
  if (!isObject(fields)) return;
  if (fields.source !== "url" && fields.source !== "sanitized") return;
  const name = payload.transaction;
  if (typeof name !== "string" || name === "") return;
  fields.source = "sanitized";
  const scrubbed = scrubIdentifiers(name);
  if (scrubbed === name) return;
  payload.transaction = scrubbed;
  // a name already sanitized upstream keeps the original it came with
  if (typeof fields.original !== "string") fields.original = truncate(name, MAX_ORIGINAL);
}
