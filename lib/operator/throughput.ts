import { logger } from "../logger";
import { redis, redisKey } from "../redis";

// Items the worker processed, one Redis counter per minute, kept for two hours: the console's
// "processed per minute" chart. The cost on the event path is one INCRBY (with its EXPIRE, in
// the same round trip) per drain job (at most a second of batches), not awaited by the drain.

const KEEP_SECONDS = 2 * 3600;
const minuteKey = (minute: number) => redisKey("operator", "processed", minute);

/** Counts a drain job's entries in the current minute; never throws (a lost count is fine). */
export function recordProcessed(entries: number, now = Date.now()): void {
  if (entries <= 0) return;
  const key = minuteKey(Math.floor(now / 60_000));
  redis()
    .multi()
    .incrby(key, entries)
    .expire(key, KEEP_SECONDS)
    .exec()
    .catch((error: unknown) => logger.warn({ err: String(error) }, "could not count processed items"));
}

/** The last `minutes` minutes (the current one last), with 0 for minutes nothing was processed. */
export async function unsafeProcessedPerMinute(
  minutes = 60,
  now = Date.now(),
): Promise<{ minute: string; events: number }[]> {
  const count = Math.max(1, Math.min(Math.floor(minutes), KEEP_SECONDS / 60));
  const current = Math.floor(now / 60_000);
  const list = Array.from({ length: count }, (_, i) => current - count + 1 + i);
  const values = await redis().mget(...list.map(minuteKey));
  return list.map((minute, i) => ({
    minute: new Date(minute * 60_000).toISOString(),
    events: Number(values[i] ?? 0) || 0,
  }));
}
