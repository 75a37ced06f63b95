import { randomBytes } from "node:crypto";
import { db } from "../db";
import { redis } from "../redis";
import { bucketOf, flushingKey, flushingSetKey, outcomeBucketKey, outcomeBucketSetKey } from "./outcome-buckets";

const OUTCOMES = new Set(["accepted", "filtered", "rate_limited", "invalid", "client_discard"]);
const RETAIN_FLUSH_MARKERS_DAYS = 7;

// Atomically renames a bucket to a batch of its own and records the batch, so counts written
// to the bucket afterwards (a late ingest process) land in a new bucket, flushed next time.
const TAKE_BUCKET_LUA = `
redis.call('SREM', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('RENAME', KEYS[2], KEYS[3])
redis.call('SADD', KEYS[4], ARGV[2])
return 1`;

/**
 * Moves finished minute buckets of outcome counters from Redis into outcome_counts. Each
 * batch is marked flushed in the same transaction that adds its counts, so a retry after a
 * crash (between the commit and the Redis cleanup) skips it instead of counting it twice.
 */
export async function flushOutcomes(now = Date.now()): Promise<{ batches: number; rows: number }> {
  // Ingest processes may still write the current and previous minute (clock skew).
  const cutoff = bucketOf(now) - 1;
  const finished = (await redis().smembers(outcomeBucketSetKey())).map(Number).filter((b) => b < cutoff);
  for (const bucket of finished) {
    const batchId = `${bucket}:${randomBytes(6).toString("hex")}`;
    await redis().eval(TAKE_BUCKET_LUA, 4, outcomeBucketSetKey(), outcomeBucketKey(bucket), flushingKey(batchId), flushingSetKey(), bucket, batchId);
  }
  // Includes batches a crashed flush left behind.
  const batches = await redis().smembers(flushingSetKey());
  let rows = 0;
  for (const batchId of batches) {
    rows += await saveBatch(batchId, await redis().hgetall(flushingKey(batchId)));
    await redis().multi().del(flushingKey(batchId)).srem(flushingSetKey(), batchId).exec();
  }
  await db().outcomeFlush.deleteMany({
    where: { flushedAt: { lt: new Date(now - RETAIN_FLUSH_MARKERS_DAYS * 86_400_000) } },
  });
  return { batches: batches.length, rows };
}

type Row = { orgId: number; projectId: number; day: string; category: string; outcome: string; reason: string; quantity: number };

async function saveBatch(batchId: string, counters: Record<string, string>): Promise<number> {
  const rows = Object.entries(counters).map(([field, n]) => parseField(field, Number(n))).filter((r): r is Row => r !== null);
  return db().$transaction(async (tx) => {
    const marked = await tx.$executeRaw`insert into outcome_flushes (id) values (${batchId}) on conflict do nothing`;
    if (marked === 0 || rows.length === 0) return 0;
    // One statement for the whole batch; rows of deleted projects are dropped by the join.
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
