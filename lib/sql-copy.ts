import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { readPool } from "./sql";

// Results of many megabytes of bytea, read as bytes. `pg` decodes every value of an ordinary
// result as UTF-8 text before any parser sees it, so bytea arrives as text (hex, or base64 if
// the query encodes it) and is decoded twice: for the transactions list sorted by p95 over 14
// days (9 MB of packed sketches) that text was a quarter of the process's CPU. A binary COPY
// hands over the bytes themselves (pg-copy-streams: node-postgres' own COPY streams, no
// dependencies), at the price of COPY's one limit: it takes no parameters, so copyRows's
// template writes its values into the statement as literals, quoted by `pg` itself.

/** A value copyRows writes into its statement: numbers, strings, null, or flat arrays of them. */
type CopyValue = number | string | null | readonly (number | string | null)[];

/**
 * A query's rows through `COPY (query) TO STDOUT (FORMAT binary)`: each row its fields' raw
 * bytes (null for NULL), views into one buffer. Values in the template become literals: a
 * number must be finite, a string is quoted by pg.escapeLiteral, an array becomes ARRAY[...]
 * (cast it in the query, as `::int[]`). On the read replica inside `onReplicaSql`, as sqlRows.
 */
export async function copyRows(strings: TemplateStringsArray, ...values: CopyValue[]): Promise<(Buffer | null)[][]> {
  let text = strings[0]!;
  for (let i = 1; i < strings.length; i++) text += literal(values[i - 1]!) + strings[i];
  const client = await readPool().connect();
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of client.query(copyTo(`COPY (${text}) TO STDOUT (FORMAT binary)`))) chunks.push(chunk as Buffer);
  } catch (error) {
    // the connection may be mid-protocol: closed, not reused
    client.release(error as Error);
    throw error;
  }
  client.release();
  return parseBinaryCopy(Buffer.concat(chunks));
}

function literal(value: CopyValue): string {
  if (value === null) return "NULL";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`copyRows: ${value} is not a finite number`);
    return String(value);
  }
  if (typeof value === "string") return pg.escapeLiteral(value);
  return `ARRAY[${value.map(literal).join(",")}]`;
}

// PostgreSQL's binary COPY format: an 11-byte signature, flags and a header extension, then
// per row a 16-bit field count (-1 ends the data) and per field a 32-bit length (-1: NULL)
// and its bytes.
const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/** Rows of a binary COPY's output (exported for its test). */
export function parseBinaryCopy(data: Buffer): (Buffer | null)[][] {
  if (data.length < 19 || !data.subarray(0, 11).equals(SIGNATURE)) throw new Error("copyRows: not PostgreSQL's binary COPY format");
  let at = 19 + data.readInt32BE(15);
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const fields = data.readInt16BE(at);
    at += 2;
    if (fields === -1) return rows;
    const row: (Buffer | null)[] = [];
    for (let f = 0; f < fields; f++) {
      const length = data.readInt32BE(at);
      at += 4;
      if (length === -1) row.push(null);
      else {
        row.push(data.subarray(at, at + length));
        at += length;
      }
    }
    rows.push(row);
  }
}
