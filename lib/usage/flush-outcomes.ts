import { db } from "../db";
import { redis } from "../redis";
import { bucketOf, outcomeBucketKey, outcomeBucketSetKey } from "./outcome-buckets";

const OUTCOMES = new Set(["accepted", "filtered", "rate_limited", "invalid", "client_discard"]);
const RETAIN_FLUSH_MARKERS_DAYS = 7;

/**
 * Moves finished minute buckets of outcome counters from Redis into outcome_counts. A bucket
 * is marked flushed in the same transaction that adds its counts, so a retry after a crash
 * (between commit and the Redis cleanup) skips it instead of counting it twice.
 */
export async function flushOutcomes(now = Date.now()): Promise<{ buckets: number; rows: number }> {
  // Ingest processes may still write the current and previous minute (clock skew).
  const cutoff = bucketOf(now) - 1;
  const pending = (await redis().smembers(outcomeBucketSetKey())).map(Number).filter((b) => b < cutoff);
  let rows = 0;
  for (const bucket of pending.sort((a, b) => a - b)) {
    const counters = await redis().hgetall(outcomeBucketKey(bucket));
    rows += await saveBucket(bucket, counters);
    await redis().multi().del(outcomeBucketKey(bucket)).srem(outcomeBucketSetKey(), bucket).exec();
  }
  await db().outcomeFlush.deleteMany({
    where: { flushedAt: { lt: new Date(now - RETAIN_FLUSH_MARKERS_DAYS * 86_400_000) } },
  });
  return { buckets: pending.length, rows };
}

type Row = { orgId: number; projectId: number; day: string; category: string; outcome: string; reason: string; quantity: number };

async function saveBucket(bucket: number, counters: Record<string, string>): Promise<number> {
  const rows = Object.entries(counters).map(([field, n]) => parseField(field, Number(n))).filter((r): r is Row => r !== null);
  return db().$transaction(async (tx) => {
    const marked = await tx.$executeRaw`insert into outcome_flushes (bucket) values (${bucket}) on conflict do nothing`;
    if (marked === 0 || rows.length === 0) return 0;
    // One statement for the whole bucket; rows of deleted projects are dropped by the join.
    return tx.$executeRaw`
      insert into outcome_counts (org_id, project_id, day, category, outcome, reason, quantity)
      select r.org_id, r.project_id, r.day, r.category, r.outcome::"Outcome", r.reason, r.quantity
      from unnest(${rows.map((r) => r.orgId)}::int[], ${rows.map((r) => r.projectId)}::int[],
                  ${rows.map((r) => r.day)}::date[], ${rows.map((r) => r.category)}::text[],
                  ${rows.map((r) => r.outcome)}::text[], ${rows.map((r) => r.reason)}::text[],
                  ${rows.map((r) => r.quantity)}::bigint[])
           as r(org_id, project_id, day, category, outcome, reason, quantity)
      join projects p on p.id = r.project_id and p.org_id = r.org_id
      on conflict (org_id, project_id, day, category, outcome, reason)
      do update set quantity = outcome_counts.quantity + excluded.quantity`;
  });
}

function parseField(field: string, quantity: number): Row | null {
  const [org, project, day, category, outcome, reason] = field.split("|");
  if (!org || !project || !day || !category || !outcome || reason === undefined || !OUTCOMES.has(outcome)) return null;
  if (!Number.isFinite(quantity) || quantity <= 0) return null;
  return { orgId: Number(org), projectId: Number(project), day, category, outcome, reason, quantity };
}
