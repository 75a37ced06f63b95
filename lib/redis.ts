import { Cluster, Redis, type RedisOptions } from "ioredis";
import { env } from "./env";

/** The seed nodes of REDIS_CLUSTER_NODES, or undefined for the one server at REDIS_URL. */
export function clusterNodes(): { host: string; port: number }[] | undefined {
  const list = env().REDIS_CLUSTER_NODES;
  if (!list) return undefined;
  return list.split(",").map((node) => {
    const [host, port] = node.trim().split(":");
    return { host: host!, port: Number(port) };
  });
}

/** True when every connection goes to a Redis Cluster (REDIS_CLUSTER_NODES is set). */
export const isClustered = (): boolean => Boolean(env().REDIS_CLUSTER_NODES);

/**
 * A new Redis connection. BullMQ wants separate connections for producers and workers, and
 * workers need maxRetriesPerRequest: null (blocking commands must not time out).
 *
 * With REDIS_CLUSTER_NODES it is an ioredis Cluster. It is typed as Redis because Cluster has
 * the same command methods; what differs (a SCAN walks one node) goes through masterNodes().
 */
export function createRedis(purpose: "producer" | "worker" | "client", options: RedisOptions = {}): Redis {
  const redisOptions: RedisOptions = {
    connectionName: `errorhub:${purpose}`,
    maxRetriesPerRequest: purpose === "worker" ? null : 3,
    enableOfflineQueue: purpose !== "client",
    ...options,
  };
  const nodes = clusterNodes();
  if (!nodes) return new Redis(env().REDIS_URL, redisOptions);
  const cluster = new Cluster(nodes, {
    redisOptions,
    // While a failover moves a slot, commands wait for the new owner instead of failing: the
    // offline queue holds them (not for "client" connections, which must fail fast) and a
    // MOVED/CLUSTERDOWN answer is retried after the slot map is read again.
    enableOfflineQueue: redisOptions.enableOfflineQueue,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    // Commands of one tick to one node travel as one write: status pages send thousands.
    enableAutoPipelining: true,
    // Replicas that join or fail show in the slot map (ingest waits for a replica only where
    // one is live: lib/ingest/accept-cluster.ts).
    slotsRefreshInterval: 5000,
  });
  return cluster as unknown as Redis;
}

/** A Redis key in this installation's namespace (REDIS_PREFIX), so installs can share a server. */
export function redisKey(...parts: (string | number)[]): string {
  // In a cluster a key whose first part is no hash tag of its own (a project's "{p<id>}") gets
  // the installation's tag: such keys (heartbeats, throttles, caches, BullMQ's are apart) are
  // few and slow-moving, and sharing one slot keeps their multi-key commands legal.
  if (isClustered() && !String(parts[0]).startsWith("{")) return [`{${env().REDIS_PREFIX}}`, ...parts].join(":");
  return [env().REDIS_PREFIX, ...parts].join(":");
}

/**
 * The key of a counter of one project. On one server the name is as it always was; in a
 * cluster it carries the project's hash tag, so the accept script, which touches the project's
 * streams, may touch it in the same call, and counters of different projects spread over slots.
 */
export function projectCounterKey(projectId: number, ...parts: (string | number)[]): string {
  return isClustered() ? redisKey(`{p${projectId}}`, ...parts) : redisKey(...parts);
}

/**
 * The nodes that hold data: the one server, or each master of the cluster. A SCAN walks one
 * node only, so key listings go through this.
 */
export async function masterNodes(connection: Redis = redis()): Promise<Redis[]> {
  if (!(connection instanceof Cluster)) return [connection];
  const cluster = connection as Cluster;
  // The node list fills once the client has read the slot map: a first command waits for it.
  if (cluster.status !== "ready") await cluster.ping();
  return cluster.nodes("master");
}

/** Every key matching `pattern`, on every node that holds data. */
export async function scanKeys(pattern: string, visit: (keys: string[]) => Promise<void>, connection: Redis = redis()): Promise<void> {
  for (const node of await masterNodes(connection)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await visit(keys);
    } while (cursor !== "0");
  }
}

export type Reply = [Error | null, unknown];

/**
 * Sends many independent commands, on keys of any slots, and returns their replies in order.
 * On one server as one pipeline. A cluster's pipeline must keep to one node, so there each
 * command goes alone: auto-pipelining (see createRedis) still sends a node's commands of one
 * tick in one write.
 */
export async function sendAll(commands: [string, ...(string | number)[]][]): Promise<Reply[]> {
  if (!isClustered()) return ((await redis().pipeline(commands).exec()) ?? []) as Reply[];
  return Promise.all(
    commands.map(([name, ...args]) =>
      redis()
        .call(name, ...args)
        .then(
          (value): Reply => [null, value],
          (error): Reply => [error as Error, null],
        ),
    ),
  );
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
  if (isClustered()) {
    return (
      `No Redis Cluster answers at ${env().REDIS_CLUSTER_NODES} (REDIS_CLUSTER_NODES). ` +
      "Check that the nodes run with cluster-enabled yes and that `redis-cli -c -h <host> -p <port> cluster info` says cluster_state:ok."
    );
  }
  return (
    `No Redis answers at ${env().REDIS_URL}. Start one with ` +
    `\`redis-server --daemonize yes --bind 127.0.0.1 --port 6379\` ` +
    "(Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`), " +
    "or set REDIS_URL to a running server."
  );
}
