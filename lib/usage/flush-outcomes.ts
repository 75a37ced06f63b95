import { randomBytes } from "node:crypto";
import { db } from "../db";
import { isClustered, redis, scanKeys } from "../redis";
import { logger } from "../logger";
import { bucketOf, droppedOutcomesKey, flushAttemptsKey, flushingKey, flushingSetKey, outcomeBucketKey, outcomeBucketSetKey } from "./outcome-buckets";
import { isDataCategory, isOutcome, isOutcomeReason } from "./outcome-values";

const RETAIN_FLUSH_MARKERS_DAYS = 7;
// Runs (a minute apart) that retry rows whose insert failed before they are dropped: enough to
// ride out a database restart, few enough that a row that can never be stored goes soon.
const MAX_ATTEMPTS = 5;

// Atomically renames a bucket to a batch of its own and records the batch, so counts written
// to the bucket afterwards (a late ingest process) land in a new bucket, flushed next time.
const TAKE_BUCKET_LUA = `
redis.call('SREM', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('RENAME', KEYS[2], KEYS[3])
redis.call('SADD', KEYS[4], ARGV[2])
return 1`;

/**
 * Moves finished minute buckets of outcome counters from Redis into outcome_counts. Each org's
 * rows of a batch are marked flushed in the same transaction that adds them, so a retry after a
 * crash (between the commit and the Redis cleanup) skips them instead of counting them twice.
 * One batch or org that cannot be stored never holds up the others: a batch whose insert fails
 * is stored org by org, and what still fails is retried by a few more runs, then dropped with a
 * log line and counted under the dropped counter.
 *
 * In a Redis Cluster each project keeps its own buckets (outcome-buckets.ts): a minute's batch
 * is then that minute's bucket of every project, taken one project at a time (each take is one
 * slot) under one batch id, and stored together.
 */
export async function flushOutcomes(now = Date.now()): Promise<{ batches: number; rows: number; dropped: number }> {
  // Ingest processes may still write the current and previous minute (clock skew).
  const cutoff = bucketOf(now) - 1;
  const shards = await outcomeShards();
  const batchOfBucket = new Map<number, string>();
  for (const shard of shards) {
    const finished = (await redis().smembers(outcomeBucketSetKey(shard))).map(Number).filter((b) => b < cutoff);
    for (const bucket of finished) {
      const batchId = batchOfBucket.get(bucket) ?? `${bucket}:${randomBytes(6).toString("hex")}`;
      batchOfBucket.set(bucket, batchId);
      const keys = [outcomeBucketSetKey(shard), outcomeBucketKey(bucket, shard), flushingKey(batchId, shard), flushingSetKey(shard)];
      await redis().eval(TAKE_BUCKET_LUA, 4, ...keys, bucket, batchId);
    }
  }
  // Includes batches a crashed or failed flush left behind.
  const batches = new Map<string, Shard[]>();
  for (const shard of shards) {
    for (const batchId of await redis().smembers(flushingSetKey(shard))) batches.set(batchId, [...(batches.get(batchId) ?? []), shard]);
  }
  let rows = 0;
  let dropped = 0;
  for (const [batchId, holders] of batches) {
    const fields = await Promise.all(holders.map((shard) => redis().hgetall(flushingKey(batchId, shard))));
    const { rows: counters, malformed } = parseCounters(fields);
    const saved = await saveBatch(batchId, counters);
    rows += saved.rows;
    dropped += malformed;
    if (saved.failed.length > 0) {
      const attempts = await redis().hincrby(flushAttemptsKey(), batchId, 1);
      if (attempts < MAX_ATTEMPTS) continue;
      const lost = saved.failed.reduce((n, r) => n + r.quantity, 0);
      logger.error({ batchId, attempts, orgs: [...new Set(saved.failed.map((r) => r.orgId))], rows: saved.failed.length, quantity: lost }, "outcome rows dropped: they failed every flush attempt");
      dropped += saved.failed.length;
    }
    for (const shard of holders) await redis().multi().del(flushingKey(batchId, shard)).srem(flushingSetKey(shard), batchId).exec();
    await redis().hdel(flushAttemptsKey(), batchId);
  }
  if (dropped > 0) await redis().incrby(droppedOutcomesKey(), dropped);
  await db().outcomeFlush.deleteMany({
    where: { flushedAt: { lt: new Date(now - RETAIN_FLUSH_MARKERS_DAYS * 86_400_000) } },
  });
  return { batches: batches.size, rows, dropped };
}

/** A project whose outcome keys are its own (in a cluster), or undefined for the shared keys. */
type Shard = number | undefined;

/**
 * On one server the shared keys; in a cluster every project with a bucket set or batches being
 * flushed, found by a SCAN of each master (the keys carry no registry that ingest would have to
 * write outside the project's slot). The scan walks every key once a minute: a few hundred ms
 * of Redis time per million keys, spread over the masters.
 */
async function outcomeShards(): Promise<Shard[]> {
  if (!isClustered()) return [undefined];
  const projects = new Set<number>();
  const pattern = outcomeBucketSetKey(0).replace("{p0}", "{p*}").replace(/buckets$/, "*");
  await scanKeys(pattern, async (keys) => {
    for (const key of keys) {
      const match = /\{p(\d+)\}:outcomes:(?:buckets|flushing)$/.exec(key);
      if (match) projects.add(Number(match[1]));
    }
  });
  return [...projects];
}

type Row = { orgId: number; projectId: number; day: string; category: string; outcome: string; reason: string; quantity: number };

/** Stores a batch in one transaction; when that fails, org by org. Returns the rows that failed. */
async function saveBatch(batchId: string, rows: Row[]): Promise<{ rows: number; failed: Row[] }> {
  if (rows.length === 0) return { rows: 0, failed: [] };
  try {
    return { rows: await saveRows(batchId, rows), failed: [] };
  } catch (error) {
    logger.warn({ err: (error as Error).message, batchId }, "outcome batch failed; storing it org by org");
  }
  const byOrg = new Map<number, Row[]>();
  for (const row of rows) byOrg.set(row.orgId, [...(byOrg.get(row.orgId) ?? []), row]);
  let saved = 0;
  const failed: Row[] = [];
  for (const [orgId, orgRows] of byOrg) {
    try {
      saved += await saveRows(batchId, orgRows);
    } catch (error) {
      logger.warn({ err: (error as Error).message, batchId, orgId }, "outcome rows of an org failed");
      failed.push(...orgRows);
    }
  }
  return { rows: saved, failed };
}

/** Adds rows of orgs not yet flushed from this batch, and marks those orgs flushed. */
function saveRows(batchId: string, rows: Row[]): Promise<number> {
  return db().$transaction(async (tx) => {
    const orgIds = [...new Set(rows.map((r) => r.orgId))];
    // Batches flushed before per-org markers carry one marker of their own.
    const [whole] = await tx.$queryRaw<{ n: number }[]>`select count(*)::int as n from outcome_flushes where id = ${batchId}`;
    if (whole!.n > 0) return 0;
    const marked = await tx.$queryRaw<{ id: string }[]>`
      insert into outcome_flushes (id) select ${batchId} || ':' || o from unnest(${orgIds}::int[]) as o
      on conflict do nothing returning id`;
    const fresh = new Set(marked.map((m) => Number(m.id.slice(m.id.lastIndexOf(":") + 1))));
    const todo = rows.filter((r) => fresh.has(r.orgId));
    if (todo.length === 0) return 0;
    // One statement for the rows; rows of deleted projects are dropped by the join.
    return tx.$executeRaw`
      insert into outcome_counts (org_id, project_id, day, category, outcome, reason, quantity)
      select r.org_id, r.project_id, r.day, r.category, r.outcome::"Outcome", r.reason, r.quantity
      from unnest(${todo.map((r) => r.orgId)}::int[], ${todo.map((r) => r.projectId)}::int[],
                  ${todo.map((r) => r.day)}::date[], ${todo.map((r) => r.category)}::text[],
                  ${todo.map((r) => r.outcome)}::text[], ${todo.map((r) => r.reason)}::text[],
                  ${todo.map((r) => r.quantity)}::bigint[])
           as r(org_id, project_id, day, category, outcome, reason, quantity)
      join projects p on p.id = r.project_id and p.org_id = r.org_id
      on conflict (org_id, project_id, day, category, outcome, reason)
      do update set quantity = outcome_counts.quantity + excluded.quantity`;
  });
}

const ID = /^[1-9]\d{0,9}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Rows from a bucket's fields, each org|project|day|category|outcome|reason with every part
 * from its fixed list. Ingest writes nothing else; anything else (a field of an older version,
 * a bug) is left out and counted as malformed rather than stored or allowed to fail the insert.
 * Equal rows are summed, as one insert may not update a row twice.
 */
function parseCounters(hashes: Record<string, string>[]): { rows: Row[]; malformed: number } {
  const rows = new Map<string, Row>();
  let malformed = 0;
  for (const [field, value] of hashes.flatMap((counters) => Object.entries(counters))) {
    const row = parseField(field, Number(value));
    if (!row) {
      malformed++;
      continue;
    }
    const existing = rows.get(field);
    if (existing) existing.quantity += row.quantity;
    else rows.set(field, row);
  }
  return { rows: [...rows.values()], malformed };
}

function parseField(field: string, quantity: number): Row | null {
  const parts = field.split("|");
  if (parts.length !== 6) return null;
  const [org, project, day, category, outcome, reason] = parts as [string, string, string, string, string, string];
  if (!ID.test(org) || !ID.test(project) || !DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) return null;
  if (!isDataCategory(category) || !isOutcome(outcome) || !isOutcomeReason(reason)) return null;
  if (!Number.isSafeInteger(quantity) || quantity <= 0) return null;
  return { orgId: Number(org), projectId: Number(project), day, category, outcome, reason, quantity };
}
