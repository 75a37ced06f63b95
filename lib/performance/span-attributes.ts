// Span v2 attributes (`{key: {value, type, unit?}}`) read into plain values, as a transaction's
// span `data` holds them. The SDKs send strings, numbers, booleans and arrays of those; anything
// else (objects, nested arrays, NaN) is what Relay drops too. Bounded here only so that reading
// a hostile span costs a bounded walk: the stored copy is bounded again, and scrubbed, by
// span-data.ts.

export type AttributeValue = string | number | boolean | (string | number | boolean)[];
export type Attributes = Record<string, AttributeValue>;

/** Attributes of one span kept, in the order sent (an SDK's http.server segment sends ~60). */
const MAX_ATTRIBUTES = 256;
const MAX_KEY = 256;
/** Longer strings are cut: span-data.ts keeps 2,000 characters of any value. */
const MAX_STRING = 8192;
const MAX_ARRAY = 64;

/**
 * Attributes an SDK adds to every span of a segment: about the segment, not the span. Read
 * apart (`shared`), so that a span's data is its attributes as read, without copying each
 * span's to leave these out (a thousand copies of them would crowd the document's bound).
 */
export const SHARED_ATTRIBUTES: ReadonlySet<string> = new Set([
  "sentry.segment.id",
  "sentry.segment.name",
  "sentry.segment.name.source",
  "sentry.sdk.name",
  "sentry.sdk.version",
  "sentry.sdk.integrations",
  "sentry.release",
  "sentry.environment",
  "sentry.trace_lifecycle",
]);

/** A span's own attributes, the shared ones, and how many entries were not attributes or past the bound. */
export type AttributesRead = { attributes: Attributes; shared: Attributes; dropped: number };

export function readAttributes(raw: unknown): AttributesRead {
  const attributes: Attributes = {};
  const shared: Attributes = {};
  let kept = 0;
  let dropped = 0;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { attributes, shared, dropped };
  for (const key in raw) {
    // "__proto__" as a key of a plain object would set its prototype, not an entry
    if (kept === MAX_ATTRIBUTES || key.length > MAX_KEY || key === "__proto__") {
      dropped++;
      continue;
    }
    const entry = (raw as Record<string, unknown>)[key];
    const value =
      typeof entry === "object" && entry !== null && !Array.isArray(entry)
        ? attributeValue((entry as { value?: unknown }).value)
        : undefined;
    if (value === undefined) dropped++;
    else {
      if (SHARED_ATTRIBUTES.has(key)) shared[key] = value;
      else attributes[key] = value;
      kept++;
    }
  }
  return { attributes, shared, dropped };
}

function attributeValue(value: unknown): AttributeValue | undefined {
  if (typeof value === "string") return value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "boolean") return value;
  if (!Array.isArray(value) || value.length > MAX_ARRAY) return undefined;
  const out: (string | number | boolean)[] = [];
  for (const element of value) {
    const primitive = typeof element === "object" ? undefined : attributeValue(element);
    if (primitive === undefined || Array.isArray(primitive)) return undefined;
    out.push(primitive);
  }
  return out;
}

/** A data value (v1 spans send `data` as plain values) as an attribute, or undefined. */
export function plainAttributes(raw: unknown): AttributesRead {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { attributes: {}, shared: {}, dropped: 0 };
  const wrapped: Record<string, { value: unknown }> = {};
  for (const key in raw)
    if (key !== "__proto__") wrapped[key] = { value: (raw as Record<string, unknown>)[key] };
  return readAttributes(wrapped);
}

export const stringAttribute = (attributes: Attributes, key: string): string | undefined => {
  const value = attributes[key];
  return typeof value === "string" && value !== "" ? value : undefined;
};

export const numberAttribute = (attributes: Attributes, key: string): number | undefined => {
  const value = attributes[key];
  return typeof value === "number" ? value : undefined;
};
