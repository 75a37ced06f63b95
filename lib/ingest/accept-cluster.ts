import { type Cluster, Command } from "ioredis";
import { env } from "../env";
import { logger } from "../logger";
import type { AcceptConnection, Arg, Waiting } from "./accept";
import { scriptArguments } from "./accept";

// How ingest's accept script runs on a Redis Cluster (REDIS_CLUSTER_NODES). A script may touch
// keys of one slot only, and on one server a call carries requests of many projects, with
// counters of their orgs. Here each call carries one project's requests: every key it touches
// carries the project's hash tag (stream-keys.ts, counter-keys.ts, outcome-buckets.ts) except
// the org's monthly counters, which the org's projects share. Those are reserved before the call
// (in the org's slot: as much as the call's items could use, up to the quota), handed to the
// script as budgets, and what the call did not use is given back after it. The quota is never
// passed. Within one batch an org's projects take turns, so the outcome is what one server
// decides; between ingest processes a request may be refused while another process holds a
// reservation it would have fitted beside (for that call's milliseconds, and only near the
// quota), and a call that fails keeps its reservation (errs towards refusing).

/**
 * A request whose items are in the stream but on the master alone (no replica confirmed them):
 * it is answered 503, and `result` says whether it must still queue the lane's drain job.
 */
export class UnreplicatedError extends Error {
  constructor(
    message: string,
    readonly result: [number, string[]],
  ) {
    super(message);
  }
}

/** Where a context's monthly quotas start among its script arguments (after key limit, window). */
export const QUOTA_ARGS = 2;

// KEYS: an org's monthly counters. ARGV: their ttl, then per key its quota (0 = none) and what
// the call wants. Returns per key what was reserved (-1 when there is no quota).
const RESERVE_LUA = `
local grants = {}
for i = 1, #KEYS do
  local quota, wanted = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  if quota == 0 then
    grants[i] = -1
  else
    local used = tonumber(redis.call('GET', KEYS[i]) or '0')
    local grant = math.max(0, math.min(wanted, quota - used))
    if grant > 0 then
      redis.call('INCRBY', KEYS[i], grant)
      redis.call('EXPIRE', KEYS[i], ARGV[1])
    end
    grants[i] = grant
  end
end
return grants`;

/**
 * Replication is asynchronous: a write the master acknowledged is lost when the master dies
 * before its replica has it and the replica is promoted. So when the project's master has a
 * replica, ingest sends WAIT 1 behind each call (same node, same round trip) and answers 200
 * only once a replica holds the accepted entries (well under a millisecond on one machine).
 * WAIT blocks the connection it runs on, so it is bounded: when no replica confirms in time
 * (it died and is not yet marked failed, or it is cut off or far behind) the requests fail
 * (503) instead of being acknowledged with entries on the master alone. Their entries stay
 * in the stream and are stored unless the master dies first (an SDK that sends again is
 * deduplicated by event id); only the promise of the 200 is withheld. A master without a
 * live replica (as after a failover, until the old master returns as its replica) gets no
 * WAIT: like one server, it has no failover that could lose an acknowledged write.
 * REDIS_REPLICA_WAIT_MS bounds the wait (250 ms unless set).
 */

/** Runs a batch as one call per project (and month and limits), all at once. */
export async function callInProjectSlot(connection: AcceptConnection, batch: Waiting[]): Promise<void> {
  const groups = new Map<string, Waiting[]>();
  for (const waiting of batch) {
    const { projectId, quotaKeys, quotaLimits } = waiting.request.context;
    const group = `${projectId}|${quotaKeys.join()}|${quotaLimits.join()}`;
    const list = groups.get(group);
    if (list) list.push(waiting);
    else groups.set(group, [waiting]);
  }
  // Projects of one org with a quota take turns within the batch: side by side, the first
  // call's reservation would refuse the second's items although the quota had room for both.
  const turns = new Map<string, Promise<void>>();
  const calls = [...groups.values()].map((group) => {
    const { quotaKeys, quotaLimits } = group[0]!.request.context;
    if (!quotaLimits.some((limit) => limit > 0)) return callForProject(connection, group);
    const org = quotaKeys.join();
    const call = (turns.get(org) ?? Promise.resolve()).then(() => callForProject(connection, group));
    turns.set(org, call);
    return call;
  });
  await Promise.all(calls);
}

async function callForProject(connection: AcceptConnection, batch: Waiting[]): Promise<void> {
  try {
    const { quotaKeys, quotaLimits, quotaTtl } = batch[0]!.request.context;
    const wanted = quotaLimits.map(() => 0);
    for (const { request } of batch) {
      request.meters.forEach((meter, i) => {
        if (meter >= 1) wanted[meter - 1]! += request.quantities[i]!;
      });
    }
    const budgets = quotaLimits.some((limit) => limit > 0) ? await reserve(connection, quotaKeys, quotaLimits, wanted, quotaTtl) : quotaLimits.map(() => -1);
    const { results, unreplicated } = await acceptWithReplicaWait(connection, scriptArguments(batch, budgets));
    await giveBack(connection, quotaKeys, budgets, batch, results);
    batch.forEach((w, i) => {
      if (unreplicated) w.reject(new UnreplicatedError(unreplicated.message, results[i]!));
      else w.resolve(results[i]!);
    });
  } catch (error) {
    for (const w of batch) w.reject(error);
  }
}

async function reserve(connection: AcceptConnection, keys: string[], limits: number[], wanted: number[], ttl: number): Promise<number[]> {
  const args = [ttl, ...limits.flatMap((limit, i) => [limit, wanted[i]!])];
  return (await connection.eval(RESERVE_LUA, keys.length, ...keys, ...args)) as number[];
}

/** Returns to the org's counters what the call reserved and did not accept. */
async function giveBack(connection: AcceptConnection, keys: string[], budgets: number[], batch: Waiting[], results: [number, string[]][]): Promise<void> {
  const used = budgets.map(() => 0);
  batch.forEach(({ request }, r) => {
    results[r]![1].forEach((decision, i) => {
      const meter = request.meters[i]!;
      if (decision === "" && meter >= 1) used[meter - 1]! += request.quantities[i]!;
    });
  });
  const unused = budgets.map((budget, m) => (budget > 0 ? budget - used[m]! : 0));
  if (unused.every((n) => n <= 0)) return;
  const multi = connection.multi();
  unused.forEach((n, m) => {
    if (n > 0) multi.decrby(keys[m]!, n);
  });
  await multi.exec();
}

type AcceptPipeline = { acceptBatch(...args: Arg[]): AcceptPipeline; call(...args: (string | number)[]): AcceptPipeline; exec(): Promise<[Error | null, unknown][] | null> };

type Accepted = { results: [number, string[]][]; unreplicated?: Error };

async function acceptWithReplicaWait(connection: AcceptConnection, args: Arg[]): Promise<Accepted> {
  // Always in a pipeline of its own, never as `connection.acceptBatch(...)`: the connection
  // auto-pipelines (lib/redis.ts), and ioredis files a script command defined without a fixed
  // key count under the node of its first argument, here the key count, not a key. So calls
  // of several projects in one tick shared one pipeline and, when their slots were on
  // different masters, all failed ("All keys in the pipeline should belong to the same slots
  // allocation group": a 503). An explicit pipeline is routed by its commands' keys.
  // args: numKeys, then the keys, the project's lane-0 stream first
  const waitForReplica = hasReplica(connection, String(args[1]));
  const pipeline = (connection.pipeline() as unknown as AcceptPipeline).acceptBatch(...args);
  if (waitForReplica) pipeline.call("wait", 1, env().REDIS_REPLICA_WAIT_MS);
  const [[scriptError, replies] = [new Error("no reply")], [waitError, replicas] = [null, 0]] = (await pipeline.exec()) ?? [];
  if (scriptError) throw scriptError;
  const results = replies as [number, string[]][];
  if (!waitForReplica || (!waitError && Number(replicas) >= 1)) return { results };
  warnUnreplicated(waitError);
  return { results, unreplicated: new Error(`no replica confirmed the accepted items within ${env().REDIS_REPLICA_WAIT_MS} ms`) };
}

/**
 * Whether the master serving `key` has a live replica, by the client's slot map (CLUSTER SLOTS
 * leaves failed nodes out; read again every few seconds, see createRedis). A redirection
 * after a failover puts the new master first and may leave its own old entry behind: only
 * other nodes count.
 */
function hasReplica(connection: AcceptConnection, key: string): boolean {
  const nodes = (connection as unknown as Cluster).slots[new Command("xlen", [key]).getSlot()] ?? [];
  return nodes.slice(1).some((node) => node !== nodes[0]);
}

let warnedAt = 0;

function warnUnreplicated(error: Error | null): void {
  if (Date.now() - warnedAt < 10_000) return;
  warnedAt = Date.now();
  logger.warn({ err: error?.message, waitMs: env().REDIS_REPLICA_WAIT_MS }, "no replica confirmed accepted items in time: answering 503 instead of 200 (they stay in the stream)");
}
