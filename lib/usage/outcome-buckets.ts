import { projectCounterKey, redisKey } from "../redis";

// Ingest counts outcomes in Redis, one hash per minute bucket; the flush-outcomes job moves
// finished buckets into Postgres (outcome_counts) exactly once.
//
// On one server all projects count into one hash per minute. In a Redis Cluster each project
// counts into hashes of its own, under its hash tag: ingest's accept script writes them in the
// same call as the project's stream, and no single slot takes every request's counts. The key
// functions take the project for that; without one (or on one server) they name the shared keys.
const outcomesKey = (projectId: number | undefined, ...parts: (string | number)[]) =>
  projectId === undefined ? redisKey("outcomes", ...parts) : projectCounterKey(projectId, "outcomes", ...parts);

export const outcomeBucketKey = (bucket: number, projectId?: number) => outcomesKey(projectId, bucket);
export const outcomeBucketSetKey = (projectId?: number) => outcomesKey(projectId, "buckets");
/** A bucket taken for flushing, renamed so late writes start a fresh bucket. */
export const flushingKey = (batchId: string, projectId?: number) => outcomesKey(projectId, "flushing", batchId);
export const flushingSetKey = (projectId?: number) => outcomesKey(projectId, "flushing");
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
