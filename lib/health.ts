import pg from "pg";
import { Redis } from "ioredis";
import { env } from "./env";

export type HealthReport = { ok: boolean; postgres: "ok" | "down"; redis: "ok" | "down"; errors: string[] };

const TIMEOUT_MS = 2000;

/**
 * Probes Postgres and Redis with fresh, short-lived connections so a wedged pool cannot make
 * the answer lie, and a dead dependency answers within two seconds.
 */
export async function checkHealth(): Promise<HealthReport> {
  const [postgres, redis] = await Promise.all([probePostgres(), probeRedis()]);
  const errors = [postgres, redis].filter((e): e is string => e !== null);
  return {
    ok: errors.length === 0,
    postgres: postgres ? "down" : "ok",
    redis: redis ? "down" : "ok",
    errors,
  };
}

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

/** Null when Redis answers PING, else a one-line reason naming the server. */
export async function probeRedis(url = env().REDIS_URL): Promise<string | null> {
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
