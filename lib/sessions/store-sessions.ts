import type { SqlTx } from "../db";
import type { PreparedItem } from "../events/prepare";
import { type ItemProject as Project, hourOf, num, obj, str, toMs } from "../events/item-values";
import { userHash } from "../events/store-errors";

// The int columns' bound: counters a client inflates stop there instead of failing each batch.
const MAX_INT = 2 ** 31 - 1;

type SessionTotals = {
  hour: string;
  release: string;
  environment: string;
  started: number;
  exited: number;
  errored: number;
  crashed: number;
  abnormal: number;
};

type SessionUser = { hour: string; release: string; environment: string; hash: string; worst: number };

/** A user's worst status (session_users.worst_status): the order max() reads. */
const USER_STATUS = { healthy: 0, errored: 1, abnormal: 2, crashed: 3 } as const;

/**
 * Release health: single session updates and pre-aggregated `sessions` items, summed per
 * hour, release and environment. A session counts as started on its init update and as
 * exited, crashed, abnormal or errored on its final one, so each is counted once. The four
 * final columns are disjoint (errored is errored only: not crashed, not abnormal), so healthy
 * is started minus the three bad ones. A session's `did` (distinct id) also goes to the users
 * of its hour, release and environment with the worst status its updates reached.
 */
export async function storeSessions(tx: SqlTx, project: Project, items: PreparedItem[]): Promise<void> {
  const totals = new Map<string, SessionTotals>();
  const users = new Map<string, SessionUser>();
  // An init and its final update bring the same did: hashed once per batch.
  const hashes = new Map<string, string>();
  const add = (startedMs: number, attrs: Record<string, unknown>, counts: Partial<SessionTotals>, did: unknown, worst: number) => {
    const release = str(attrs.release);
    if (!release) return; // Sentry drops sessions without a release: nothing to attribute them to
    const environment = str(attrs.environment) ?? "";
    const hour = hourOf(startedMs);
    const key = `${hour}\n${release}\n${environment}`;
    // A distinct id of any length hashes to 64 bits; an empty or non-string one is no user.
    const user = str(did, 1000);
    if (user) {
      let hashed = hashes.get(user);
      if (hashed === undefined) {
        hashed = userHash(user);
        hashes.set(user, hashed);
      }
      const userKey = `${key}\n${hashed}`;
      const known = users.get(userKey);
      if (known) known.worst = Math.max(known.worst, worst);
      else users.set(userKey, { hour, release, environment, hash: hashed, worst });
    }
    const t = totals.get(key) ?? {
      hour,
      release,
      environment,
      started: 0,
      exited: 0,
      errored: 0,
      crashed: 0,
      abnormal: 0,
    };
    for (const field of ["started", "exited", "errored", "crashed", "abnormal"] as const)
      t[field] = Math.min(t[field] + (counts[field] ?? 0), MAX_INT);
    totals.set(key, t);
  };
  for (const { type, data, entry } of items) {
    const attrs = obj(data.attrs);
    if (type === "session") {
      const status = str(data.status) ?? "ok";
      const startedMs = toMs(data.started) ?? entry.receivedAt.getTime();
      const final = status !== "ok";
      const crashed = status === "crashed";
      const abnormal = status === "abnormal";
      const errored = !crashed && !abnormal && (status === "errored" || num(data.errors) > 0);
      add(
        startedMs,
        attrs,
        {
          started: data.init === true ? 1 : 0,
          exited: status === "exited" && num(data.errors) === 0 ? 1 : 0,
          errored: final && errored ? 1 : 0,
          crashed: crashed ? 1 : 0,
          abnormal: abnormal ? 1 : 0,
        },
        data.did,
        // an `ok` update with errors already makes its user errored, as Relay counts them
        crashed ? USER_STATUS.crashed : abnormal ? USER_STATUS.abnormal : errored ? USER_STATUS.errored : USER_STATUS.healthy,
      );
    } else {
      for (const bucket of Array.isArray(data.aggregates) ? data.aggregates : []) {
        const b = obj(bucket);
        const counts = {
          exited: num(b.exited),
          errored: num(b.errored),
          crashed: num(b.crashed),
          abnormal: num(b.abnormal),
        };
        const started = counts.exited + counts.errored + counts.crashed + counts.abnormal;
        const worst =
          counts.crashed > 0
            ? USER_STATUS.crashed
            : counts.abnormal > 0
              ? USER_STATUS.abnormal
              : counts.errored > 0
                ? USER_STATUS.errored
                : USER_STATUS.healthy;
        add(toMs(b.started) ?? entry.receivedAt.getTime(), attrs, { ...counts, started }, started > 0 ? b.did : undefined, worst);
      }
    }
  }
  if (totals.size === 0) return;
  await insertCounts(tx, project, totals);
  if (users.size > 0) await insertUsers(tx, project, users);
}

async function insertCounts(tx: SqlTx, project: Project, totals: Map<string, SessionTotals>): Promise<void> {
  // In key order, as every batch takes its row locks (see store-errors.ts).
  const rows = [...totals.keys()].sort().map((key) => totals.get(key)!);
  await tx.run`
    insert into session_counts (project_id, hour, release, environment, started, exited, errored, crashed, abnormal)
    select ${project.id}::int, * from unnest(${rows.map((r) => r.hour)}::timestamptz[], ${rows.map((r) => r.release)}::text[],
      ${rows.map((r) => r.environment)}::text[], ${rows.map((r) => r.started)}::int[], ${rows.map((r) => r.exited)}::int[],
      ${rows.map((r) => r.errored)}::int[], ${rows.map((r) => r.crashed)}::int[], ${rows.map((r) => r.abnormal)}::int[])
    on conflict (project_id, hour, release, environment) do update set
      started = least(session_counts.started::bigint + excluded.started, ${MAX_INT}::bigint),
      exited = least(session_counts.exited::bigint + excluded.exited, ${MAX_INT}::bigint),
      errored = least(session_counts.errored::bigint + excluded.errored, ${MAX_INT}::bigint),
      crashed = least(session_counts.crashed::bigint + excluded.crashed, ${MAX_INT}::bigint),
      abnormal = least(session_counts.abnormal::bigint + excluded.abnormal, ${MAX_INT}::bigint)`;
}

/**
 * The batch's users, one row per (hour, release, environment, user). Rows go in the order of
 * their text keys (the hash as decimal text): not the table's order, but one total order every
 * batch follows, which is what keeps two lanes' batches from deadlocking (see store-errors.ts).
 * A row only changes when a worse status comes: the `where` leaves the many repeats of a
 * healthy user (every update of every session) unwritten.
 */
async function insertUsers(tx: SqlTx, project: Project, users: Map<string, SessionUser>): Promise<void> {
  const rows = [...users.keys()].sort().map((key) => users.get(key)!);
  await tx.run`
    insert into session_users (project_id, hour, release, environment, user_hash, worst_status)
    select ${project.id}::int, * from unnest(${rows.map((r) => r.hour)}::timestamptz[], ${rows.map((r) => r.release)}::text[],
      ${rows.map((r) => r.environment)}::text[], ${rows.map((r) => r.hash)}::int8[], ${rows.map((r) => r.worst)}::int2[])
    on conflict (project_id, hour, release, environment, user_hash) do update set worst_status = excluded.worst_status
    where session_users.worst_status < excluded.worst_status`;
}
