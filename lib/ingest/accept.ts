import type { Redis } from "ioredis";
import { env } from "../env";
import { entryMeta } from "../events/stream";
import { countIngestItems } from "../metrics/ingest";
import { limitedCategories, type RateLimit } from "../protocol/rate-limits";
import { queue } from "../queues";
import { createRedis, redisKey } from "../redis";
import { bucketOf, dayOf, outcomeBucketKey, outcomeBucketSetKey, outcomeFieldPrefix } from "../usage/outcome-buckets";
import { ACCEPT_LUA } from "./accept-script";
import type { KeyInfo } from "./keys";
import type { Meter } from "./quota-policy";
import type { DataCategory, OutcomeName, OutcomeReason } from "../usage/outcome-values";
import { allLanes, backlogBytesKey, drainFlagKey, laneOf, projectStreamKey } from "./stream-keys";

/** One envelope item, checked and ready for the stream. */
export type PreparedItem = {
  type: string;
  category: DataCategory;
  /** what the item counts against: see METER */
  meter: Meter;
  /** how much it counts: 1, or an attachment's bytes */
  quantity: number;
  itemHeader: Buffer;
  payload: Buffer;
  eventId: string;
  /** inbound filter that matched, or "" */
  filterReason: string;
};

export type AcceptResult = { accepted: number; rateLimits: RateLimit[] };

type Arg = string | number | Buffer;
type AcceptBatch = (numKeys: number, ...args: Arg[]) => Promise<[number, string[]][]>;

let connection: (Redis & { acceptBatch: AcceptBatch }) | undefined;

function client() {
  if (!connection) {
    const redis = createRedis("producer");
    redis.defineCommand("acceptBatch", { lua: ACCEPT_LUA });
    connection = redis as Redis & { acceptBatch: AcceptBatch };
  }
  return connection;
}

export async function closeAcceptConnection(): Promise<void> {
  const redis = connection;
  connection = undefined;
  if (redis) await redis.quit().catch(() => redis.disconnect());
}

/** What the requests of one DSN key within one second share: sent once per script call. */
type Context = { second: number; maxBacklog: number; maxBacklogBytes: number; keys: string[]; args: Arg[] };
type Request = { context: Context; args: Arg[] };
type Waiting = { request: Request; resolve: (r: [number, string[]]) => void; reject: (e: unknown) => void };

// Requests that finish parsing in the same turn of the event loop share one script call:
// under load that spreads the per-call cost of ioredis and of Redis's Lua over many requests.
let waiting: Waiting[] = [];

function enqueue(request: Request): Promise<[number, string[]]> {
  return new Promise((resolve, reject) => {
    if (waiting.length === 0) setImmediate(flush);
    waiting.push({ request, resolve, reject });
  });
}

async function flush(): Promise<void> {
  const batch = waiting;
  waiting = [];
  // Under load a call carries dozens of requests of a few keys: each context's keys and
  // limits travel once, and the requests refer to it by number.
  const contextNumbers = new Map<Context, number>();
  const keys: string[] = [];
  const contextArgs: Arg[] = [];
  const requestArgs: Arg[] = [batch.length];
  for (const { request } of batch) {
    let number = contextNumbers.get(request.context);
    if (number === undefined) {
      number = contextNumbers.size + 1;
      contextNumbers.set(request.context, number);
      keys.push(...request.context.keys);
      contextArgs.push(...request.context.args);
    }
    requestArgs.push(number, ...request.args);
  }
  try {
    const results = await client().acceptBatch(keys.length, ...keys, contextNumbers.size, ...contextArgs, ...requestArgs);
    batch.forEach((w, i) => {
      w.resolve(results[i]!);
    });
  } catch (error) {
    for (const w of batch) w.reject(error);
  }
}

// The key's current context; a key refreshed from the database is a new object, so a changed
// limit takes effect with the refresh.
const contexts = new WeakMap<KeyInfo, Context>();

function contextOf(key: KeyInfo, now: number): Context {
  const time = timeParts(now);
  const maxBacklog = env().INGEST_MAX_BACKLOG;
  const maxBacklogBytes = env().INGEST_MAX_BACKLOG_MB * 1024 * 1024;
  const cached = contexts.get(key);
  if (cached?.second === time.second && cached.maxBacklog === maxBacklog && cached.maxBacklogBytes === maxBacklogBytes) return cached;
  const keyWindow = key.rateLimit?.windowSeconds ?? 60;
  const context: Context = {
    second: time.second,
    maxBacklog,
    maxBacklogBytes,
    keys: [
      ...allLanes.map((lane) => projectStreamKey(key.projectId, lane)),
      ...allLanes.map((lane) => drainFlagKey(key.projectId, lane)),
      ...allLanes.map((lane) => backlogBytesKey(key.projectId, lane)),
      redisKey("rl", "key", key.keyId, Math.floor(now / 1000 / keyWindow)),
      // errors keep the key names of the time before the other meters
      redisKey("quota", "org", key.orgId, time.month),
      redisKey("quota", "org", key.orgId, time.month, "transaction"),
      redisKey("quota", "org", key.orgId, time.month, "attachment"),
      redisKey("spike", key.projectId, time.hour),
      redisKey("spike", key.projectId, time.hour, "transaction"),
      redisKey("spike", key.projectId, time.hour, "attachment"),
      time.bucketKey,
      time.bucketSetKey,
    ],
    args: [
      key.rateLimit?.count ?? 0,
      keyWindow,
      key.limits.monthlyErrors ?? 0,
      key.limits.monthlyTransactions ?? 0,
      key.limits.monthlyAttachmentBytes ?? 0,
      32 * 24 * 3600,
      key.limits.projectErrorsPerHour ?? 0,
      key.limits.projectTransactionsPerHour ?? 0,
      key.limits.projectAttachmentBytesPerHour ?? 0,
      maxBacklog,
      maxBacklogBytes,
      outcomeFieldPrefix(key.orgId, key.projectId, time.day),
      time.bucket,
    ],
  };
  contexts.set(key, context);
  return context;
}

/**
 * Applies backlog bound, key rate limit, monthly quota and spike protection to the items in
 * one atomic step, appends the accepted ones to the stream of the request's lane, counts
 * outcomes, and queues a drain job when that lane has none pending. `sentAt` is the
 * envelope header's sent_at, the one field of that header the worker reads.
 */
export async function acceptItems(key: KeyInfo, items: PreparedItem[], clientIp: string, sentAt: string | undefined): Promise<AcceptResult> {
  const now = Date.now();
  const lane = laneOf(items);
  const args: Arg[] = [lane, items.length];
  for (const item of items) {
    const meta = entryMeta({ type: item.type, eventId: item.eventId, clientIp, receivedAt: now, sentAt });
    args.push(item.category, item.meter, item.quantity, meta, item.itemHeader, item.payload, item.filterReason);
  }
  const [drain, decisions] = await enqueue({ context: contextOf(key, now), args });
  countIngestItems(items, decisions);
  if (drain === 1) await queue("events").add("drain", { projectId: key.projectId, lane });
  return {
    accepted: decisions.filter((d) => d === "").length,
    rateLimits: rateLimitsFor(items, decisions, key, now),
  };
}

const RETRY_BACKLOG_SECONDS = 5;
// Relay's default `max_rate_limit`: SDKs are told to back off at most this long, so a quota
// lifted by an upgrade or an on-demand budget reaches them within minutes, not at month end.
export const MAX_RETRY_AFTER_SECONDS = 300;

function rateLimitsFor(items: PreparedItem[], decisions: string[], key: KeyInfo, now: number): RateLimit[] {
  const byReason = new Map<string, Set<string>>();
  decisions.forEach((reason, i) => {
    if (!reason || reason === items[i]!.filterReason) return;
    const categories = byReason.get(reason) ?? new Set<string>();
    for (const category of limitedCategories(items[i]!.category)) categories.add(category);
    byReason.set(reason, categories);
  });
  return [...byReason].map(([reason, categories]) => {
    const { scope, retryAfterSeconds } = scopeAndRetry(reason, key, now);
    return { reason, categories: [...categories], scope, retryAfterSeconds: Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS) };
  });
}

function scopeAndRetry(reason: string, key: KeyInfo, now: number): Pick<RateLimit, "scope" | "retryAfterSeconds"> {
  const seconds = now / 1000;
  switch (reason) {
    case "key_quota": {
      const window = key.rateLimit?.windowSeconds ?? 60;
      return { scope: "key", retryAfterSeconds: window - (seconds % window) };
    }
    case "usage_exceeded": {
      const date = new Date(now);
      const nextMonth = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
      return { scope: "organization", retryAfterSeconds: (nextMonth - now) / 1000 };
    }
    case "smart_rate_limit":
      return { scope: "project", retryAfterSeconds: 3600 - (seconds % 3600) };
    default:
      return { scope: "project", retryAfterSeconds: RETRY_BACKLOG_SECONDS };
  }
}

/** Counts one outcome outside the accept script (a request refused as invalid). */
export async function countOutcome(key: KeyInfo, category: DataCategory, outcome: OutcomeName, reason: OutcomeReason): Promise<void> {
  const now = Date.now();
  const bucketKey = outcomeBucketKey(bucketOf(now));
  await client()
    .multi()
    .hincrby(bucketKey, `${outcomeFieldPrefix(key.orgId, key.projectId, dayOf(now))}${category}|${outcome}|${reason}`, 1)
    .expire(bucketKey, 7 * 24 * 3600)
    .sadd(outcomeBucketSetKey(), bucketOf(now))
    .exec();
}

type TimeParts = { second: number; month: string; day: string; hour: number; bucket: number; bucketKey: string; bucketSetKey: string };
let cachedTime: TimeParts | undefined;

// Dates and key names change once a minute at most; build them once a second, not per request.
function timeParts(now: number): TimeParts {
  const second = Math.floor(now / 1000);
  if (cachedTime?.second !== second) {
    const iso = new Date(now).toISOString();
    const bucket = bucketOf(now);
    cachedTime = {
      second,
      month: iso.slice(0, 7),
      day: dayOf(now),
      hour: Math.floor(now / 3_600_000),
      bucket,
      bucketKey: outcomeBucketKey(bucket),
      bucketSetKey: outcomeBucketSetKey(),
    };
  }
  return cachedTime;
}
