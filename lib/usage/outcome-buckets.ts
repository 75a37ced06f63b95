import { redisKey } from "../redis";

// Ingest counts outcomes in Redis, one hash per minute bucket; the flush-outcomes job moves
// finished buckets into Postgres (outcome_counts) exactly once.
export const outcomeBucketKey = (bucket: number) => redisKey("outcomes", bucket);
export const outcomeBucketSetKey = () => redisKey("outcomes", "buckets");
/** A bucket taken for flushing, renamed so late writes start a fresh bucket. */
export const flushingKey = (batchId: string) => redisKey("outcomes", "flushing", batchId);
export const flushingSetKey = () => redisKey("outcomes", "flushing");
/** Failed flush attempts per batch id. */
export const flushAttemptsKey = () => redisKey("outcomes", "flush-attempts");
/** Outcome rows the flush could not store and dropped (malformed, or failing every attempt). */
export const droppedOutcomesKey = () => redisKey("outcomes", "dropped");

export const bucketOf = (ms: number) => Math.floor(ms / 60_000);

/** The UTC day (YYYY-MM-DD) outcomes are counted under. */
export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Start of the hash field of one counter: org|project|day|, then category|outcome|reason. */
export function outcomeFieldPrefix(orgId: number, projectId: number, day: string): string {
  return `${orgId}|${projectId}|${day}|`;
}
