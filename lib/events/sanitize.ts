/**
 * What Postgres refuses, taken out of SDK JSON before it is parsed: U+0000. Postgres rejects
 * it in text and jsonb (also as the escape `\u0000`), so one NUL anywhere in an event once
 * failed its whole batch. It is removed, not refused: the event is stored without it.
 *
 * Both checks are a native byte search over the payload; a payload without NUL (all but a
 * hostile few) is parsed as it is.
 */

const NUL_BYTE = 0;
const NUL_ESCAPE = Buffer.from("\\u0000");
// `\u0000` preceded by an even number of backslashes (none, or escaped ones): an odd number
// means the backslash before `u0000` is itself escaped, and the text is a literal "\u0000".
const NUL_ESCAPES = /(?<=(?:^|[^\\])(?:\\\\)*)\\u0000/g;

/** The JSON text of a payload with every NUL (raw byte or `\u0000` escape) removed. */
export function jsonTextWithoutNul(payload: Buffer): string {
  let bytes = payload;
  // A raw NUL is not valid JSON at all; without it, the rest may be.
  if (bytes.indexOf(NUL_BYTE) !== -1) bytes = bytes.filter((byte) => byte !== NUL_BYTE) as Buffer;
  const text = bytes.toString("utf8");
  return bytes.indexOf(NUL_ESCAPE) === -1 ? text : text.replace(NUL_ESCAPES, "");
}

/** Parses an SDK payload that must be a JSON object, without NUL in any key or string. */
export function parseJsonObject(payload: Buffer): Record<string, unknown> {
  const value = JSON.parse(jsonTextWithoutNul(payload));
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error("payload is not a JSON object");
  return value;
}
