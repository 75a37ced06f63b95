/**
 * Sentry's default server-side data scrubbing, on the raw event JSON, in place.
 *
 * - Values under sensitive keys (password, token, cookie, session, ...; case-insensitive
 *   substring) become "[Filtered]"; objects and lists under such a key keep their shape and
 *   keys, every leaf is filtered. Lists of `[name, value]` pairs (headers, cookies, query
 *   strings, tags as SDKs send them) count the name as the key.
 * - Payment-card numbers inside any string become "[Filtered]".
 * - Query-string and URL parameters with sensitive names, and passwords in URLs, are filtered.
 *
 * Like Sentry's defaults (without "scrub IP addresses"), `user.ip_address` and `user.email`
 * are kept, and so are ids, timestamps and stack frame function/module names.
 *
 * The same walk bounds the payload's nesting (`MAX_DEPTH`) whether or not it scrubs:
 * a 1 MiB event can nest hundreds of thousands of levels, which JSON.stringify (storage)
 * and Postgres' jsonb parser cannot take. Deeper containers become null, as Relay's trimming
 * deletes values past a data bag's depth.
 */

export const FILTERED = "[Filtered]";

/** Containers nested deeper than this below the event root are replaced with null. */
export const MAX_DEPTH = 20;
/** Far above any 1 MiB JSON event; only shared references (never JSON) can reach it. */
const MAX_NODES = 1_000_000;

// `ssn` only as a whole word: as a substring it would filter `className`.
const SENSITIVE_KEY =
  /passw(?:or)?d|secret|passphrase|api[-_]?key|token|authorization|cookie|session|csrf|xsrf|private[-_]?key|credential|(?:^|[^a-z0-9])ssn(?:$|[^a-z0-9])/i;

// Identifiers and code names: a digit run in them is never a card, and filtering would break
// grouping and lookups.
const NEVER_SCRUBBED = new Set([
  "event_id",
  "trace_id",
  "span_id",
  "parent_span_id",
  "timestamp",
  "start_timestamp",
  "received",
  "function",
  "raw_function",
  "module",
  "symbol",
  "ip_address",
  "email",
]);

// SDK metadata: package names like `jsonwebtoken` or `express-session` are not secrets.
const SDK_METADATA = new Set(["modules", "sdk", "debug_meta"]);

type Walk = { scrub: boolean; nodesLeft: number };

/** Filters sensitive data out of an event payload (mutating it) and bounds its depth. */
export function scrubEvent(payload: Record<string, unknown>): Record<string, unknown> {
  walkRoot(payload, true);
  return payload;
}

/** Only bounds the payload's depth (mutating it), for projects that turned scrubbing off. */
export function limitDepth(payload: Record<string, unknown>): Record<string, unknown> {
  walkRoot(payload, false);
  return payload;
}

function walkRoot(payload: Record<string, unknown>, scrub: boolean): void {
  const walk: Walk = { scrub, nodesLeft: MAX_NODES };
  const sdkWalk: Walk = { scrub: false, nodesLeft: MAX_NODES };
  for (const key in payload) {
    const own = SDK_METADATA.has(key) ? sdkWalk : walk;
    visitField(payload, key, 1, own, own.scrub && isSensitiveKey(key));
  }
}

// Measured on JSON.parse output: for-in over objects is twice as fast as Object.keys (no key
// array), and writing a field back costs more than the whole walk, so only changes are written.

function visitField(
  object: Record<string, unknown>,
  key: string,
  depth: number,
  walk: Walk,
  filterAll: boolean,
): void {
  const value = object[key];
  const next = visit(value, key, depth, walk, filterAll);
  if (next !== value) object[key] = next;
}

function visit(
  value: unknown,
  key: string | undefined,
  depth: number,
  walk: Walk,
  filterAll: boolean,
): unknown {
  if (--walk.nodesLeft < 0) return null;
  if (typeof value === "string") return walk.scrub ? scrubString(value, key, filterAll) : value;
  if (typeof value !== "object" || value === null)
    return walk.scrub ? scrubScalar(value, key, filterAll) : value;
  if (depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) walkArray(value, depth, walk, filterAll);
  else walkObject(value as Record<string, unknown>, depth, walk, filterAll);
  return value;
}

function walkObject(object: Record<string, unknown>, depth: number, walk: Walk, filterAll: boolean): void {
  for (const key in object) {
    visitField(object, key, depth + 1, walk, filterAll || (walk.scrub && isSensitiveKey(key)));
  }
}

function walkArray(list: unknown[], depth: number, walk: Walk, filterAll: boolean): void {
  const pairs = walk.scrub && isPairList(list);
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const next = pairs
      ? visitPair(item as [string, unknown], depth + 1, walk, filterAll)
      : visit(item, undefined, depth + 1, walk, filterAll);
    if (next !== item) list[i] = next;
  }
}

function visitPair(pair: [string, unknown], depth: number, walk: Walk, filterAll: boolean): unknown {
  if (--walk.nodesLeft < 0 || depth > MAX_DEPTH) return null;
  const [name, value] = pair;
  const next = visit(value, name, depth + 1, walk, filterAll || isSensitiveKey(name));
  if (next !== value) pair[1] = next;
  return pair;
}

function isPairList(list: unknown[]): boolean {
  if (list.length === 0) return false;
  for (const item of list) {
    if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== "string") return false;
  }
  return true;
}

function scrubString(value: string, key: string | undefined, filterAll: boolean): string {
  if (filterAll) return FILTERED;
  if (key !== undefined && NEVER_SCRUBBED.has(key)) return value;
  const text = key !== undefined && isUrlKey(key) ? scrubUrl(value, key === "query_string") : value;
  return filterCardNumbers(text);
}

function scrubScalar(value: unknown, key: string | undefined, filterAll: boolean): unknown {
  if (value === null || value === undefined) return value;
  if (filterAll) return FILTERED;
  if (key !== undefined && NEVER_SCRUBBED.has(key)) return value;
  // SDKs sometimes send a card number as a JSON number; 1e12 is the smallest 13-digit one.
  if (
    typeof value === "number" &&
    value >= 1e12 &&
    Number.isSafeInteger(value) &&
    isCardNumber(String(value))
  ) {
    return FILTERED;
  }
  return value;
}

// Keys repeat across events (header names, frame fields): remember the regex's answer.
const keyCache = new Map<string, boolean>();
const KEY_CACHE_LIMIT = 10_000;
const CACHEABLE_KEY_LENGTH = 100;

/** Whether a key's value is filtered (password, token, cookie, session, ...). */
export function isSensitiveKey(key: string): boolean {
  const known = keyCache.get(key);
  if (known !== undefined) return known;
  const sensitive = SENSITIVE_KEY.test(key);
  if (key.length <= CACHEABLE_KEY_LENGTH) {
    // Random keys from hostile payloads must not grow the cache without end.
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(key, sensitive);
  }
  return sensitive;
}

// `url`, `uri`, `documentURL`, `blocked-uri`...: compared by char code, as this runs for every string.
function isUrlKey(key: string): boolean {
  const n = key.length;
  if (n < 3) return false;
  if (key === "query_string") return true;
  const last = key.charCodeAt(n - 1) | 0x20; // lower-cases ASCII letters
  return (
    (key.charCodeAt(n - 3) | 0x20) === 0x75 &&
    (key.charCodeAt(n - 2) | 0x20) === 0x72 &&
    (last === 0x6c || last === 0x69)
  );
}

/** Filters sensitive query/fragment parameters and the password of a URL (or of a bare query string). */
export function scrubUrl(value: string, isQueryString = false): string {
  if (isQueryString)
    return scrubParams(value.startsWith("?") ? value.slice(1) : value, value.startsWith("?") ? "?" : "");
  let url = scrubUrlPassword(value);
  const hash = url.indexOf("#");
  if (hash >= 0) url = url.slice(0, hash + 1) + scrubParams(url.slice(hash + 1), "");
  const question = url.indexOf("?");
  if (question < 0) return url;
  const end = url.indexOf("#", question);
  const queryEnd = end < 0 ? url.length : end;
  return url.slice(0, question) + scrubParams(url.slice(question + 1, queryEnd), "?") + url.slice(queryEnd);
}

function scrubParams(query: string, prefix: string): string {
  // No sensitive name anywhere in the query (and nothing %-encoded that could hide one): done.
  const encoded = query.includes("%") || query.includes("+");
  if (!query.includes("=") || (!encoded && !SENSITIVE_KEY.test(query))) return prefix + query;
  const params = query.split("&");
  for (let i = 0; i < params.length; i++) {
    const param = params[i]!;
    const eq = param.indexOf("=");
    const name = param.slice(0, Math.max(eq, 0));
    if (eq > 0 && isSensitiveKey(encoded ? decodeParamName(name) : name)) params[i] = `${name}=${FILTERED}`;
  }
  return prefix + params.join("&");
}

function decodeParamName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll("+", " "));
  } catch {
    return name; // malformed %-escape: match the raw name
  }
}

// https://user:secret@host/ -> https://user:[Filtered]@host/
function scrubUrlPassword(url: string): string {
  const scheme = url.indexOf("://");
  if (scheme < 0) return url;
  const hostStart = scheme + 3;
  const authorityEnd = firstIndexOf(url, "/?#", hostStart);
  const at = url.lastIndexOf("@", authorityEnd - 1);
  if (at < hostStart) return url;
  const colon = url.indexOf(":", hostStart);
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, colon + 1)}${FILTERED}${url.slice(at)}`;
}

function firstIndexOf(text: string, chars: string, from: number): number {
  for (let i = from; i < text.length; i++) if (chars.includes(text[i]!)) return i;
  return text.length;
}

const MIN_CARD_DIGITS = 13;
const MAX_CARD_DIGITS = 19;

// A maximal run of digits joined by single spaces or dashes, at least 13 digits long. The
// quantified group starts with a mandatory digit, so matching is linear (no backtracking blowup).
const DIGIT_RUN = /\d(?:[ -]?\d){12,}/g;
// The same without the global flag: most strings have no such run, and `test` allocates nothing.
const HAS_DIGIT_RUN = /\d(?:[ -]?\d){12}/;

/** Replaces payment-card numbers (13-19 digits, spaces/dashes allowed, Luhn-valid) in a string. */
export function filterCardNumbers(text: string): string {
  if (text.length < MIN_CARD_DIGITS || !HAS_DIGIT_RUN.test(text)) return text;
  return text.replace(DIGIT_RUN, (run: string, offset: number) =>
    // A run glued to letters ("abc4111...", hex ids) is part of an identifier, not a card.
    isWordChar(text.charCodeAt(offset - 1)) || isWordChar(text.charCodeAt(offset + run.length))
      ? run
      : filterCardsInRun(run),
  );
}

/**
 * Looks for cards among consecutive digit groups of a run, longest first from each group, so
 * "order 12 4111111111111111" and "4111 1111 1111 1111 12/25" filter the card alone. Windows
 * stop at 19 digits, so the work stays linear in the run's length.
 */
function filterCardsInRun(run: string): string {
  // The run is digit groups joined by exactly one separator each.
  const groups = run.split(/[ -]/);
  const digits = groups.join("");
  const runAt = [0];
  const digitAt = [0];
  for (const group of groups) {
    runAt.push(runAt.at(-1)! + group.length + 1);
    digitAt.push(digitAt.at(-1)! + group.length);
  }
  let out = "";
  let copied = 0;
  for (let i = 0; i < groups.length; i++) {
    const last = longestCardFrom(digits, digitAt, i);
    if (last < 0) continue;
    out += `${run.slice(copied, runAt[i])}${FILTERED}`;
    copied = runAt[last + 1]! - 1;
    i = last;
  }
  return copied === 0 ? run : out + run.slice(copied);
}

/** Index of the last group of the longest card starting at group `first`, or -1. */
function longestCardFrom(digits: string, digitAt: number[], first: number): number {
  const start = digitAt[first]!;
  if (!isIssuerDigit(digits.charCodeAt(start))) return -1;
  let found = -1;
  for (let j = first; j + 1 < digitAt.length && digitAt[j + 1]! - start <= MAX_CARD_DIGITS; j++) {
    const end = digitAt[j + 1]!;
    if (end - start >= MIN_CARD_DIGITS && isCardNumber(digits.slice(start, end))) found = j;
  }
  return found;
}

/**
 * 13-19 digits, an issuer prefix of 2-6 (Mastercard 2-series, Amex/Diners/JCB, Visa,
 * Mastercard, Discover/UnionPay), Luhn-valid. The prefix rule spares epoch-millisecond
 * timestamps (13 digits starting with 1) that Luhn alone would filter one time in ten.
 */
export function isCardNumber(digits: string): boolean {
  if (digits.length < MIN_CARD_DIGITS || digits.length > MAX_CARD_DIGITS) return false;
  return isIssuerDigit(digits.charCodeAt(0)) && passesLuhn(digits);
}

function isIssuerDigit(code: number): boolean {
  return code >= 50 && code <= 54; // "2" to "6"
}

function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

function isWordChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95
  );
}
