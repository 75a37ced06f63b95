import { randomBytes } from "node:crypto";
import { errorEvent, eventEnvelope } from "../support/envelopes";

/**
 * One pre-built envelope body. Its event id sits at two places (envelope header and event
 * payload); `stamp` rewrites the last 16 hex digits of both in place, so every request sent
 * carries an event id never sent before while the bytes around it (and every length frame)
 * stay the same.
 */
export type PoolEntry = { body: Buffer; idOffsets: number[] };

const ID_LENGTH = 32;
const SEQ_DIGITS = 16;

/**
 * `size` distinct, realistic error envelopes (2-3 KB each) as the JavaScript SDK sends them:
 * header with event_id, sent_at, dsn, sdk and trace; one length-framed event item. Events
 * vary in server, release, transaction, message, user and tags, so bodies differ beyond the id.
 */
export function buildPool(size: number, dsn: string, publicKey: string): PoolEntry[] {
  const pool: PoolEntry[] = [];
  for (let i = 0; i < size; i++) {
    const transaction = `POST /api/checkout/${i % 40}`;
    const event = errorEvent({
      server_name: `web-${i % 8}`,
      release: `backend@1.4.${i % 5}`,
      transaction,
      tags: {
        region: ["eu-west-1", "us-east-1", "ap-south-1"][i % 3],
        feature: "checkout",
        shard: String(i % 16),
      },
      user: { id: String(1000 + (i % 997)), email: `user${i % 997}@example.com`, ip_address: "203.0.113.7" },
    });
    const exception = event.exception.values[0]!;
    exception.value = `Cannot read properties of undefined (reading 'total${i % 50}')`;
    const body = eventEnvelope(event, {
      dsn,
      sdk: { name: "sentry.javascript.node", version: "11.12.0" },
      trace: {
        trace_id: randomBytes(16).toString("hex"),
        public_key: publicKey,
        environment: "production",
        release: event.release,
        sample_rate: "1",
        transaction,
      },
    });
    const idOffsets: number[] = [];
    for (let at = body.indexOf(event.event_id); at !== -1; at = body.indexOf(event.event_id, at + 1))
      idOffsets.push(at);
    if (idOffsets.length !== 2)
      throw new Error(`expected the event id twice in envelope ${i}, found ${idOffsets.length}`);
    pool.push({ body, idOffsets });
  }
  return pool;
}

/** Gives the entry a never-used event id: unique as long as `seq` never repeats in a process. */
export function stamp(entry: PoolEntry, seq: number): void {
  const suffix = seq.toString(16).padStart(SEQ_DIGITS, "0");
  for (const at of entry.idOffsets) entry.body.write(suffix, at + ID_LENGTH - SEQ_DIGITS, "latin1");
}

/** The entry's current event id. */
export function eventIdOf(entry: PoolEntry): string {
  return entry.body.toString("latin1", entry.idOffsets[0]!, entry.idOffsets[0]! + ID_LENGTH);
}
