import { Redis, type RedisOptions } from "ioredis";
import { env } from "./env";

/**
 * A new Redis connection. BullMQ wants separate connections for producers and workers, and
 * workers need maxRetriesPerRequest: null (blocking commands must not time out).
 */
export function createRedis(purpose: "producer" | "worker" | "client", options: RedisOptions = {}): Redis {
  return new Redis(env().REDIS_URL, {
    connectionName: `errorhub:${purpose}`,
    maxRetriesPerRequest: purpose === "worker" ? null : 3,
    enableOfflineQueue: purpose !== "client",
    ...options,
  });
}

/** A Redis key in this installation's namespace (REDIS_PREFIX), so installs can share a server. */
export function redisKey(...parts: (string | number)[]): string {
  return [env().REDIS_PREFIX, ...parts].join(":");
}

let shared: Redis | undefined;

/** The process-wide connection for plain commands (health, caches, counters). */
export function redis(): Redis {
  shared ??= createRedis("producer");
  return shared;
}

export async function closeRedis(): Promise<void> {
  const connection = shared;
  shared = undefined;
  if (connection) await connection.quit().catch(() => connection.disconnect());
}

export function redisStartHint(): string {
  return (
    `No Redis answers at ${env().REDIS_URL}. Start one with ` +
    `\`redis-server --daemonize yes --bind 127.0.0.1 --port 6379\` ` +
    "(Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`), " +
    "or set REDIS_URL to a running server."
  );
}
