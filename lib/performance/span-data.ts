import { FILTERED, filterCardNumbers, isSensitiveKey, scrubUrl } from "../events/scrub";

// A span's `data` (OpenTelemetry attributes: db.statement, url.full, http.request.method, ...)
// and `tags` as stored: copied within fixed bounds, so a thousand spans of hostile data cost a
// bounded walk each and never one larger than the document they go into. The whole event has
// already been through scrubEvent (sensitive keys, card numbers, URL keys named *url/*uri);
// what that cannot see is scrubbed here: secrets inside SQL text, and URLs under OTel's names.

/** Data nested deeper than this below the span's `data` is dropped. */
const MAX_DATA_DEPTH = 5;
/** Entries of one object or array kept, in the order sent. */
const MAX_ENTRIES = 100;
/** A string value: db.statement and descriptions share this bound. */
export const MAX_SPAN_TEXT = 2000;
/** Characters of keys and strings one span's data may keep; what comes after is dropped. */
const MAX_DATA_CHARS = 8192;
const MAX_TAGS = 50;
const MAX_TAG_CHARS = 200;

type Budget = { left: number; trimmed: boolean };

/**
 * A bounded copy of a span's data (a JSON object), scrubbed when `scrub`; `trimmed` says
 * whether anything was left out or cut. Undefined for anything but an object with entries.
 */
export function boundedSpanData(
  value: unknown,
  scrub: boolean,
): { data?: Record<string, unknown>; trimmed: boolean } {
  if (!isObject(value)) return { trimmed: false };
  const budget: Budget = { left: MAX_DATA_CHARS, trimmed: false };
  const data = copyObject(value, 1, budget, scrub);
  return { data: Object.keys(data).length > 0 ? data : undefined, trimmed: budget.trimmed };
}

function copyObject(source: Record<string, unknown>, depth: number, budget: Budget, scrub: boolean) {
  const out: Record<string, unknown> = {};
  let entries = 0;
  for (const key in source) {
    if (entries === MAX_ENTRIES || budget.left < key.length) {
      budget.trimmed = true;
      break;
    }
    budget.left -= key.length;
    const value = copyValue(source[key], key, depth, budget, scrub);
    if (value !== undefined) out[key] = value;
    entries++;
  }
  return out;
}

function copyValue(value: unknown, key: string | undefined, depth: number, budget: Budget, scrub: boolean): unknown {
  if (typeof value === "string") return copyString(value, key, budget, scrub);
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "boolean" || value === null) return value;
  if (typeof value !== "object" || depth >= MAX_DATA_DEPTH) {
    if (typeof value === "object") budget.trimmed = true;
    return undefined;
  }
  if (!Array.isArray(value)) return copyObject(value as Record<string, unknown>, depth + 1, budget, scrub);
  const out: unknown[] = [];
  for (const item of value) {
    if (out.length === MAX_ENTRIES || budget.left <= 0) {
      budget.trimmed = true;
      break;
    }
    const copied = copyValue(item, undefined, depth + 1, budget, scrub);
    out.push(copied === undefined ? null : copied);
  }
  return out;
}

function copyString(value: string, key: string | undefined, budget: Budget, scrub: boolean): string | undefined {
  if (budget.left <= 0) {
    budget.trimmed = true;
    return undefined;
  }
  const max = Math.min(MAX_SPAN_TEXT, budget.left);
  if (value.length > max) budget.trimmed = true;
  let text = truncate(value, max);
  if (scrub && key !== undefined) text = scrubAttribute(key, text);
  budget.left -= text.length;
  return text;
}

// OpenTelemetry's names for SQL text and for URLs and query strings (scrubEvent filters URLs
// only under keys ending in "url" or "uri").
const SQL_KEYS = new Set(["db.statement", "db.query.text", "db.sql.query"]);
const URL_KEYS = new Set(["url.full", "http.target", "url.original"]);
const QUERY_KEYS = new Set(["http.query", "url.query", "http.fragment", "url.fragment"]);

function scrubAttribute(key: string, text: string): string {
  if (SQL_KEYS.has(key)) return scrubSql(text);
  if (URL_KEYS.has(key)) return scrubUrl(text);
  if (QUERY_KEYS.has(key)) return scrubUrl(text, true);
  return text;
}

// A quoted SQL string ('' is a quote inside it), or one cut off by truncation at the end.
export const SQL_STRING = /'(?:[^']|'')*(?:'|$)/g;

/**
 * SQL text with secrets filtered: when it names anything sensitive (a password or token
 * column, a sessions table), every string literal in it becomes '[Filtered]', as a value's
 * column cannot be told reliably without parsing; card numbers anywhere are filtered as in
 * events. Parameterized statements (`$1`, `?`) carry no values and stay as they are.
 */
export function scrubSql(sql: string): string {
  const text = filterCardNumbers(sql);
  return isSensitiveKey(text) ? text.replace(SQL_STRING, `'${FILTERED}'`) : text;
}

// URLs inside free text: an http.client span's description is "GET https://host/path?query".
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/\S+/gi;

/** A span's description with what scrubbing filters in events: SQL secrets for db spans, URLs' secrets. */
export function scrubDescription(op: string | undefined, description: string): string {
  if (op?.startsWith("db")) return scrubSql(description);
  // scrubUrl filters only a password, the query and the fragment: a URL with none stays
  return description.includes("://") && /[@?#]/.test(description)
    ? description.replace(URL_IN_TEXT, (url) => scrubUrl(url))
    : description;
}

/** Span or transaction tags: a string map of at most 50 entries, keys and values cut to 200. */
export function boundedTags(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const tags: Record<string, string> = {};
  let count = 0;
  for (const key in value) {
    if (count === MAX_TAGS) break;
    const raw = value[key];
    const text = typeof raw === "string" ? raw : typeof raw === "number" || typeof raw === "boolean" ? String(raw) : null;
    if (text === null || key === "") continue;
    tags[truncate(key, MAX_TAG_CHARS)] = truncate(text, MAX_TAG_CHARS);
    count++;
  }
  return count > 0 ? tags : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Cut to `max` UTF-16 units, never leaving half a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max > 0 && isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
