import type { SqlTx } from "../db";
import { addToSketch, isFailedStatus, type Sketch } from "./sketch";
import { packSketch } from "./sketch-bytes";

const HOUR = 3_600_000;
const DAY = 86_400_000;
const RESOLUTIONS = [
  ["h", HOUR],
  ["d", DAY],
] as const;

/** A stored transaction as its group's stats count it. */
export type StatInput = {
  groupId: string;
  timestamp: Date;
  durationMs: number;
  status: string;
  environment: string | null;
  release: string | null;
};

type Stat = {
  groupId: string;
  resolution: string;
  bucket: number;
  environment: string;
  release: string;
  count: number;
  durationSum: number;
  failures: number;
  sketch: Sketch;
};

/**
 * Adds transactions (only rows this batch inserted: a redelivered one must not count twice)
 * to their groups' hourly and daily stats: count, duration sum, failures, and the duration
 * sketch, merged with the stored one in the upsert. Aggregated here first, so each row appears
 * once in the statement, and sent in key order (group, resolution, bucket, environment,
 * release), the order every batch takes these rows' locks in.
 */
export async function upsertTransactionStats(tx: SqlTx, projectId: number, transactions: StatInput[]): Promise<void> {
  if (transactions.length === 0) return;
  const stats = new Map<string, Stat>();
  for (const t of transactions) {
    const failed = isFailedStatus(t.status);
    const environment = t.environment ?? "";
    const release = t.release ?? "";
    for (const [resolution, width] of RESOLUTIONS) {
      const bucket = Math.floor(t.timestamp.getTime() / width) * width;
      const key = `${t.groupId}\0${resolution}\0${bucket}\0${environment}\0${release}`;
      let stat = stats.get(key);
      if (!stat) {
        stat = { groupId: t.groupId, resolution, bucket, environment, release, count: 0, durationSum: 0, failures: 0, sketch: {} };
        stats.set(key, stat);
      }
      stat.count++;
      stat.durationSum += t.durationMs;
      if (failed) stat.failures++;
      addToSketch(stat.sketch, t.durationMs);
    }
  }
  const rows = [...stats.values()].sort(byKey);
  await tx.run`
    insert into transaction_stats (group_id, project_id, resolution, bucket, environment, release, count, duration_sum, failures, sketch)
    select g, ${projectId}::int, r, to_timestamp(b / 1000.0), e, rl, n, s, f, k
    from unnest(${rows.map((r) => r.groupId)}::bigint[], ${rows.map((r) => r.resolution)}::text[], ${rows.map((r) => r.bucket)}::float8[],
                ${rows.map((r) => r.environment)}::text[], ${rows.map((r) => r.release)}::text[], ${rows.map((r) => r.count)}::int[],
                ${rows.map((r) => r.durationSum)}::float8[], ${rows.map((r) => r.failures)}::int[],
                ${rows.map((r) => packSketch(r.sketch))}::bytea[])
         as x(g, r, b, e, rl, n, s, f, k)
    on conflict (group_id, resolution, bucket, environment, release) do update set
      count = transaction_stats.count + excluded.count,
      duration_sum = transaction_stats.duration_sum + excluded.duration_sum,
      failures = transaction_stats.failures + excluded.failures,
      sketch = transaction_sketch_merge(transaction_stats.sketch, excluded.sketch)`;
}

const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
// group ids are bigint text: shorter is smaller
const compareIds = (a: string, b: string) => a.length - b.length || compare(a, b);

function byKey(a: Stat, b: Stat): number {
  return (
    compareIds(a.groupId, b.groupId) ||
    compare(a.resolution, b.resolution) ||
    a.bucket - b.bucket ||
    compare(a.environment, b.environment) ||
    compare(a.release, b.release)
  );
}
