import { AsyncLocalStorage } from "node:async_hooks";
import type { Viewer } from "./auth/viewer";
import { env } from "./env";
import { logger } from "./logger";
import { redis, redisKey } from "./redis";
import { replicaSqlRows, sqlRows } from "./sql";

// Which database serves a viewer's reads when DATABASE_REPLICA_URL names a streaming replica
// (README, "Read replica"). Loads no Prisma: lib/db.ts's dbRead() and the `pg` read paths both
// ask here.
//
// Read-your-writes by WAL position, not by a timer: a change a user makes records the
// primary's WAL position after it committed (pg_current_wal_lsn(), in Redis under the user, so
// every web process sees it); that user's reads go to the replica only once the replica has
// replayed past it (pg_last_wal_replay_lsn()). A timer ("primary for N seconds after a write")
// would either send every writer to the primary for longer than the replica usually lags, or,
// when the replica lags more than N, show the user a list without the change they just made.
// The position costs one Redis GET per request for the marker, and a replica query only when a
// marker is ahead of the replay position this process last saw (positions only grow, so a
// known one is a safe lower bound). Other users see the change once the replica replays it.
//
// Which requests write is decided at the two doors users write through, not in each lib
// function: every server action (app/_server/action-state.ts: formAction) and every REST
// request other than GET/HEAD (lib/api/route.ts: apiRoute) runs inside `duringWrite`, whose
// reads all go to the primary (a write's own reads, and the answer it returns, must be fresh),
// and records the user's marker when it ends.

/** How often a process asks the replica how far it has replayed, and whether it answers. */
const PROBE_MS = 1_000;
/** How long a user's write marker lives: a replica further behind than this is broken anyway. */
const MARKER_TTL_MS = 15 * 60_000;

let replayed = 0n;
let replicaUp = false;
let probedAt = 0;
let probing: Promise<void> | undefined;
let lastProblem: string | undefined;

/** "16/B374D848" as a number that compares like the position. */
function lsnValue(text: string): bigint {
  const [high, low] = text.split("/");
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/**
 * Asks the replica how far it has replayed. Down, or not in recovery (a promoted replica keeps
 * answering with the position its recovery ended at, while its data parts from the primary's):
 * reads go to the primary until a probe finds it a replica again. Each change is logged once.
 */
function probe(): Promise<void> {
  probing ??= (async () => {
    let problem: string | undefined;
    try {
      const [row] = await replicaSqlRows<{ recovery: boolean; lsn: string | null }>`
        select pg_is_in_recovery() as recovery, pg_last_wal_replay_lsn()::text as lsn`;
      if (row?.recovery && row.lsn) {
        const position = lsnValue(row.lsn);
        if (position > replayed) replayed = position;
      } else {
        problem = "DATABASE_REPLICA_URL is not a replica in recovery (promoted?)";
      }
    } catch (error) {
      problem = `read replica unreachable (${(error as Error).message})`;
    } finally {
      if (problem !== lastProblem) {
        if (problem) logger.warn(`${problem}: reads go to DATABASE_URL`);
        else if (lastProblem) logger.info("read replica answers again: reads go to DATABASE_REPLICA_URL");
      }
      lastProblem = problem;
      replicaUp = problem === undefined;
      probedAt = Date.now();
      probing = undefined;
    }
  })();
  return probing;
}

const markerKey = (userId: number) => redisKey("replica-rw", userId);

const writing = new AsyncLocalStorage<true>();

async function replicaServes(viewer: Viewer): Promise<boolean> {
  if (!env().DATABASE_REPLICA_URL) return false;
  let marker: string | null;
  try {
    marker = await redis().get(markerKey(viewer.userId));
  } catch {
    return false; // not knowing the user's last write, read what is certainly fresh
  }
  if (Date.now() - probedAt > PROBE_MS) await probe();
  if (!replicaUp) return false;
  if (marker === null || lsnValue(marker) <= replayed) return true;
  await probe();
  return replicaUp && lsnValue(marker) <= replayed;
}

// One decision per request (the viewer object lives as long as the request that made it),
// made again after any write this process has seen end since: a request that read, then wrote,
// reads its own change afterwards.
const decided = new WeakMap<Viewer, { writes: number; replica: Promise<boolean> }>();
let writesEnded = 0;

/**
 * Whether this viewer's reads may go to the replica now: it is configured, answers, and has
 * replayed the viewer's last change. Decided once per viewer object (one request).
 */
export function readsOnReplica(viewer: Viewer): Promise<boolean> {
  if (writing.getStore()) return Promise.resolve(false);
  let decision = decided.get(viewer);
  if (!decision || decision.writes !== writesEnded) {
    decision = { writes: writesEnded, replica: replicaServes(viewer) };
    decided.set(viewer, decision);
  }
  return decision.replica;
}

/**
 * Runs a request that may write: its reads go to the primary, and once it has ended (committed
 * or failed part-way) the user's next reads wait for the replica to replay past it.
 * `userId`: who acted, asked after the work (an action's user may only be known then), or
 * undefined when nobody is signed in.
 */
export async function duringWrite<T>(
  work: () => Promise<T>,
  userId: () => Promise<number | undefined> | number | undefined,
): Promise<T> {
  if (!env().DATABASE_REPLICA_URL) return work();
  try {
    return await writing.run(true, work);
  } finally {
    const user = await Promise.resolve()
      .then(userId)
      .catch(() => undefined);
    if (user !== undefined) await markWritten(user);
    writesEnded++;
  }
}

/**
 * Records that this user just committed a change, so their next reads see it: the primary's
 * WAL position now, kept in Redis. Without a replica it does nothing.
 */
export async function markWritten(userId: number): Promise<void> {
  if (!env().DATABASE_REPLICA_URL) return;
  try {
    const [row] = await sqlRows<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`;
    await redis().set(markerKey(userId), row!.lsn, "PX", MARKER_TTL_MS);
  } catch (error) {
    // The change is committed; failing the request now would only hide that from the user.
    logger.warn({ err: error }, "could not record a write for read-your-writes");
  }
}
