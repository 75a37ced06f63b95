/**
 * What Postgres refuses, taken out of SDK JSON before it is parsed, so the item is stored
 * rather than failing its batch:
 * - U+0000, refused in text and jsonb (also as the escape `\u0000`): removed.
 * - Lone UTF-16 surrogates, which only an escape (`\ud800`) can carry in UTF-8 JSON:
 *   JSON.stringify writes them back as escapes, which jsonb refuses (tags, issue metadata,
 *   check-ins). Replaced with U+FFFD, as a UTF-8 encoder does.
 *
 * Each check is first a native byte search over the payload; a payload with neither (all but
 * a hostile few, and SDKs that escape emoji) is parsed as it is.
 */

const NUL_BYTE = 0;
const UNICODE_ESCAPE = Buffer.from("\\u");
const NUL_ESCAPE = Buffer.from("\\u0000");
// `\u0000` preceded by an even number of backslashes (none, or escaped ones): an odd number
// means the backslash before `u0000` is itself escaped, and the text is a literal "\u0000".
const NUL_ESCAPES = /(?<=(?:^|[^\\])(?:\\\\)*)\\u0000/g;
const SURROGATE_ESCAPE = Buffer.from("\\ud");
const SURROGATE_ESCAPE_UPPER = Buffer.from("\\uD");
// A high surrogate escape not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE_ESCAPES =
  /(?<=(?:^|[^\\])(?:\\\\)*)(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})/g;

/** The JSON text of a payload without NUL (raw byte or escape) or lone surrogate escapes. */
export function sanitizedJsonText(payload: Buffer): string {
  let bytes = payload;
  // A raw NUL is not valid JSON at all; without it, the rest may be.
  if (bytes.indexOf(NUL_BYTE) !== -1) bytes = bytes.filter((byte) => byte !== NUL_BYTE) as Buffer;
  let text = bytes.toString("utf8");
  // Most events hold no \u escape at all: one search, then the narrower ones.
  if (bytes.indexOf(UNICODE_ESCAPE) === -1) return text;
  if (bytes.indexOf(NUL_ESCAPE) !== -1) text = text.replace(NUL_ESCAPES, "");
  if (bytes.indexOf(SURROGATE_ESCAPE) !== -1 || bytes.indexOf(SURROGATE_ESCAPE_UPPER) !== -1)
    text = text.replace(LONE_SURROGATE_ESCAPES, "\\ufffd");
  return text;
}

/** Parses an SDK payload that must be a JSON object, sanitized as above. */
export function parseJsonObject(payload: Buffer): Record<string, unknown> {
  const value = JSON.parse(sanitizedJsonText(payload));
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error("payload is not a JSON object");
  return value;
}
