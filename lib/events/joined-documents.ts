// JSON documents sent to Postgres as one text parameter, split row by row with
// string_to_table(<param>::text, SEPARATOR) as the insert reads it (see insertEvents in
// store-errors.ts for why and what it measured).

/** A character JSON text never contains: JSON.stringify escapes every control character. */
export const SEPARATOR = "\x1e";
const SEPARATOR_BYTES = Buffer.from(SEPARATOR);

/** The documents' UTF-8 bytes joined by SEPARATOR (a Buffer parameter is sent as its bytes). */
export function joinDocuments(buffers: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const buffer of buffers) {
    if (parts.length > 0) parts.push(SEPARATOR_BYTES);
    parts.push(buffer);
  }
  return Buffer.concat(parts);
}
