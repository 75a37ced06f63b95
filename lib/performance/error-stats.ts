import type { SqlTx } from "../db";
import { scrubIdentifiers } from "./transaction-name";

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** An inserted error event as the transactions list's errorCount counts it. */
export type ErrorStatInput = {
  transaction?: string;
  timestamp: Date;
  environment?: string;
  release?: string;
};

/**
 * Counts error events per transaction name (the error's `transaction`), hour and day,
 * environment and release: the transactions list reads errorCount from these rows instead of
 * scanning events. Only events this batch inserted, and only those naming a transaction.
 * Rows in key order (resolution, bucket, name, environment, release), the order every batch
 * locks them in.
 */
export async function upsertTransactionErrorStats(tx: SqlTx, projectId: number, events: ErrorStatInput[]): Promise<void> {
  const counts = new Map<string, { resolution: string; bucket: number; name: string; environment: string; release: string; count: number }>();
  for (const e of events) {
    if (!e.transaction) continue;
    const ms = e.timestamp.getTime();
    const environment = e.environment ?? "";
    const release = e.release ?? "";
    const buckets = [
      ["h", Math.floor(ms / HOUR) * HOUR],
      ["d", Math.floor(ms / DAY) * DAY],
    ] as const;
    for (const name of countedNames(e.transaction)) {
      for (const [resolution, bucket] of buckets) {
        const key = `${resolution}\0${bucket}\0${name}\0${environment}\0${release}`;
        const current = counts.get(key);
        if (current) current.count++;
        else counts.set(key, { resolution, bucket, name, environment, release, count: 1 });
      }
    }
  }
  if (counts.size === 0) return;
  const rows = [...counts.values()].sort(
    (a, b) =>
      compare(a.resolution, b.resolution) ||
      a.bucket - b.bucket ||
      compare(a.name, b.name) ||
      compare(a.environment, b.environment) ||
      compare(a.release, b.release),
  );
  await tx.run`
    insert into transaction_error_stats (project_id, resolution, bucket, name, environment, release, count)
    select ${projectId}::int, r, to_timestamp(b / 1000.0), n, e, rl, c
    from unnest(${rows.map((r) => r.resolution)}::text[], ${rows.map((r) => r.bucket)}::float8[], ${rows.map((r) => r.name)}::text[],
                ${rows.map((r) => r.environment)}::text[], ${rows.map((r) => r.release)}::text[], ${rows.map((r) => r.count)}::int[])
         as x(r, b, n, e, rl, c)
    on conflict (project_id, resolution, bucket, name, environment, release) do update set
      count = transaction_error_stats.count + excluded.count`;
}

// An error names its transaction as the SDK had it ("GET /api/orders/81723") and says nothing
// of where the name came from, while a transaction named from its URL is grouped under the name
// scrubbed of identifiers ("GET /api/orders/*", transaction-name.ts). A name that reads as a
// path and holds identifiers is counted under both, so the group finds it whichever way its
// transactions were named (a route's "GET /api/v10/orders/:id" is not scrubbed, though Relay's
// rule would take "v10"). Each group reads its own name's count only.
const PATH_NAME = /^(?:[A-Z]{3,7} )?\//;

function countedNames(name: string): string[] {
  if (!PATH_NAME.test(name)) return [name];
  const scrubbed = scrubIdentifiers(name);
  return scrubbed === name ? [name] : [name, scrubbed];
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
