import type { Redis } from "ioredis";
import { env } from "../env";
import { entryMeta } from "../events/stream";
import { countIngestItems } from "../metrics/ingest";
import { limitedCategories, type RateLimit } from "../protocol/rate-limits";
import { queue } from "../queues";
import { createRedis, isClustered } from "../redis";
import { bucketOf, dayOf, outcomeBucketKey, outcomeBucketSetKey, outcomeFieldPrefix } from "../usage/outcome-buckets";
import { ACCEPT_LUA } from "./accept-script";
import { callInProjectSlot, QUOTA_ARGS, UnreplicatedError } from "./accept-cluster";
import { keyRateKey, orgQuotaKey, quotaBudgetKey, spikeKey } from "./counter-keys";
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

export type Arg = string | number | Buffer;
export type AcceptBatch = (...numKeysKeysAndArgs: Arg[]) => Promise<[number, string[]][]>;
export type AcceptConnection = Redis & { acceptBatch: AcceptBatch };

let connection: AcceptConnection | undefined;

function client(): AcceptConnection {
  if (!connection) {
    const redis = createRedis("producer");
    redis.defineCommand("acceptBatch", { lua: ACCEPT_LUA });
    connection = redis as AcceptConnection;
  }
  return connection;
}

export async function closeAcceptConnection(): Promise<void> {
  const redis = connection;
  connection = undefined;
  if (redis) await redis.quit().catch(() => redis.disconnect());
}

/** What the requests of one DSN key within one second share: sent once per script call. */
export type Context = {
  second: number;
  maxBacklog: number;
  maxBacklogBytes: number;
  keys: string[];
  args: Arg[];
  projectId: number;
  /** The org's monthly counters and their limits (0 = none), per meter: a cluster reserves them. */
  quotaKeys: string[];
  quotaLimits: number[];
  quotaTtl: number;
};
/** One request's script arguments, and per item its meter and quantity (for a cluster's budget). */
export type Request = { context: Context; args: Arg[]; meters: number[]; quantities: number[] };
export type Waiting = { request: Request; resolve: (r: [number, string[]]) => void; reject: (e: unknown) => void };

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
  // A cluster runs one call per project, each in the project's slot (accept-cluster.ts).
  if (isClustered()) return callInProjectSlot(client(), batch);
  try {
    const results = await client().acceptBatch(...scriptArguments(batch));
    batch.forEach((w, i) => {
      w.resolve(results[i]!);
    });
  } catch (error) {
    for (const w of batch) w.reject(error);
  }
}

/**
 * The script's numKeys, KEYS and ARGV for a batch of requests. `budgets`, in a cluster, are
 * the monthly quota arguments for every context of the call (what was reserved per meter).
 */
export function scriptArguments(batch: Waiting[], budgets?: number[]): Arg[] {
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
      const args = [...request.context.args, budgets ? 1 : 0];
      if (budgets) args.splice(QUOTA_ARGS, budgets.length, ...budgets);
      contextArgs.push(...args);
    }
    requestArgs.push(number, ...request.args);
  }
  return [keys.length, ...keys, contextNumbers.size, ...contextArgs, ...requestArgs];
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
  const { projectId, orgId } = key;
  const quotaKeys = [orgQuotaKey(orgId, time.month), orgQuotaKey(orgId, time.month, "transaction"), orgQuotaKey(orgId, time.month, "attachment")];
  const quotaLimits = [key.limits.monthlyErrors ?? 0, key.limits.monthlyTransactions ?? 0, key.limits.monthlyAttachmentBytes ?? 0];
  const quotaTtl = 32 * 24 * 3600;
  const clustered = isClustered();
  const context: Context = {
    second: time.second,
    maxBacklog,
    maxBacklogBytes,
    projectId,
    quotaKeys,
    quotaLimits,
    quotaTtl,
    keys: [
      ...allLanes.map((lane) => projectStreamKey(projectId, lane)),
      ...allLanes.map((lane) => drainFlagKey(projectId, lane)),
      ...allLanes.map((lane) => backlogBytesKey(projectId, lane)),
      keyRateKey(projectId, key.keyId, Math.floor(now / 1000 / keyWindow)),
      ...(clustered ? quotaKeys.map((_, meter) => quotaBudgetKey(projectId, meter + 1)) : quotaKeys),
      spikeKey(projectId, time.hour),
      spikeKey(projectId, time.hour, "transaction"),
      spikeKey(projectId, time.hour, "attachment"),
      clustered ? outcomeBucketKey(time.bucket, projectId) : time.bucketKey,
      clustered ? outcomeBucketSetKey(projectId) : time.bucketSetKey,
    ],
    args: [
      key.rateLimit?.count ?? 0,
      keyWindow,
      ...quotaLimits,
      quotaTtl,
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
  const meters = items.map((item) => item.meter);
  const quantities = items.map((item) => item.quantity);
  const [drain, decisions] = await enqueue({ context: contextOf(key, now), args, meters, quantities }).catch(async (error: unknown) => {
    // In the stream but not confirmed on a replica: answered 503, yet stored like the rest.
    if (error instanceof UnreplicatedError && error.result[0] === 1) await queue("events").add("drain", { projectId: key.projectId, lane });
    throw error;
  });
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
  const bucketKey = outcomeBucketKey(bucketOf(now), key.projectId);
  await client()
    .multi()
    .hincrby(bucketKey, `${outcomeFieldPrefix(key.orgId, key.projectId, dayOf(now))}${category}|${outcome}|${reason}`, 1)
    .expire(bucketKey, 7 * 24 * 3600)
    .sadd(outcomeBucketSetKey(key.projectId), bucketOf(now))
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
