import pg from "pg";
import { Redis } from "ioredis";
import { sqlRows } from "./sql";
import { env } from "./env";
import { logger } from "./logger";
import { clusterNodes, redis } from "./redis";

/** What /_health/ answers, to anyone: no hosts, no error texts (those go to the log). */
export type HealthReport = { ok: boolean; postgres: "ok" | "down"; redis: "ok" | "down" };

const TIMEOUT_MS = 2000;
// A load balancer or a stranger polling in a loop gets the last answer instead of a probe each.
const CACHE_MS = 1000;

let last: { report: HealthReport; at: number } | undefined;
let inflight: Promise<HealthReport> | undefined;

/**
 * Whether this process can reach Postgres and Redis, through the connections it already has
 * (the `pg` pool of lib/sql, the shared client of lib/redis): a probe per request would open two
 * connections per request, which a flood of health checks turns into exhausted server slots.
 * Concurrent callers share one probe, and its answer is reused for a second. A pool too busy to
 * answer within two seconds counts as down, as it is for the requests it serves.
 */
export async function checkHealth(): Promise<HealthReport> {
  if (last && Date.now() - last.at < CACHE_MS) return last.report;
  inflight ??= probeShared()
    .then((report) => {
      last = { report, at: Date.now() };
      return report;
    })
    .finally(() => {
      inflight = undefined;
    });
  return inflight;
}

async function probeShared(): Promise<HealthReport> {
  const [postgres, redisDown] = await Promise.all([
    reason(withTimeout(sqlRows`select 1`)),
    reason(withTimeout(redis().ping())),
  ]);
  if (postgres || redisDown) logger.warn({ postgres, redis: redisDown }, "health check: a dependency is down");
  return { ok: !postgres && !redisDown, postgres: postgres ? "down" : "ok", redis: redisDown ? "down" : "ok" };
}

/** Null when the promise resolves, else why it did not. */
function reason(promise: Promise<unknown>): Promise<string | null> {
  return promise.then(
    () => null,
    (error: unknown) => describe(error),
  );
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The boot checks below (lib/runtime.ts) run once per process start, before any pool exists:
// fresh short-lived connections, and messages naming the server for the operator's terminal.

/**
 * Null when Postgres answers, else a one-line reason naming the server. With
 * allowMissingDatabase, a server that answers but lacks the database counts as up (migrations
 * create it).
 */
export async function probePostgres(
  connectionString = env().DATABASE_URL,
  { allowMissingDatabase = false } = {},
): Promise<string | null> {
  if (!connectionString) return "postgres: DATABASE_URL is not set";
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: TIMEOUT_MS, query_timeout: TIMEOUT_MS });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
    return null;
  } catch (error) {
    if (allowMissingDatabase && (error as { code?: string }).code === "3D000") return null;
    return `postgres at ${redactUrl(connectionString)}: ${describe(error)}`;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Null when Redis answers PING, else a one-line reason naming the server. With
 * REDIS_CLUSTER_NODES (and no `url`), when one of the seed nodes answers and says its cluster
 * is ok (cluster_state:ok: every slot served).
 */
export async function probeRedis(url?: string): Promise<string | null> {
  const seeds = url === undefined ? clusterNodes() : undefined;
  if (!seeds) return probeRedisNode(url ?? env().REDIS_URL, false);
  const reasons: string[] = [];
  for (const { host, port } of seeds) {
    const reason = await probeRedisNode(`redis://${host}:${port}`, true);
    if (!reason) return null;
    reasons.push(reason);
  }
  return reasons.join("; ");
}

async function probeRedisNode(url: string, clusterMember: boolean): Promise<string | null> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
    if (clusterMember) {
      const state = /cluster_state:(\w+)/.exec(String(await client.call("cluster", "info")))?.[1];
      if (state !== "ok") return `redis at ${redactUrl(url)}: cluster_state:${state ?? "unknown"}`;
    }
    return null;
  } catch (error) {
    return `redis at ${redactUrl(url)}: ${describe(error)}`;
  } finally {
    client.disconnect();
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) return describe(error.errors[0]);
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
