import { AsyncLocalStorage } from "node:async_hooks";
import pg from "pg";
import { env } from "./env";

// PostgreSQL through `pg` directly, without Prisma: the hot paths' statements, and everything a
// process that never needs Prisma uses (ingest's key lookups, health probes), so importing this
// module loads no Prisma code (lib/db.ts re-exports it for everyone else).

/**
 * Connections each pool of a process may open. Every one is a PostgreSQL backend of a few MB
 * while it lives (idle ones close after 10 s); SMALL_SERVER keeps a 1 GB machine's total under
 * the embedded server's max_connections. The drain's pool holds one connection per batch
 * transaction (the worker runs 4, or 2 with SMALL_SERVER) plus one for the lookups a batch
 * makes beside its transaction, so it never waits on itself.
 */
export function poolSizes(): { prisma: number; sql: number; aside: number } {
  return env().SMALL_SERVER ? { prisma: 3, sql: 3, aside: 2 } : { prisma: 10, sql: 8, aside: 4 };
}

let pool: pg.Pool | undefined;

/**
 * The hot paths' own connections: the drain's batch transaction runs its statements through
 * `pg` directly, because Prisma's raw queries serialize and deserialize every parameter (a
 * batch's 1 MB of payloads included) before `pg` encodes it once more; ingest looks its DSN
 * keys up here too, so its process never loads Prisma's query engine.
 */
function sqlPool(): pg.Pool {
  pool ??= newPool(poolSizes().sql);
  return pool;
}

let asidePool: pg.Pool | undefined;

function newPool(max: number, connectionString = env().DATABASE_URL, options: pg.PoolConfig = {}): pg.Pool {
  if (!connectionString) throw new Error("DATABASE_URL is not resolved yet");
  const created = new pg.Pool({ connectionString, max, statement_timeout: 120_000, ...options });
  // An idle connection's error (the server restarted) must not crash the process; the pool
  // drops it and connects again.
  created.on("error", () => {});
  return created;
}

type SqlTag<R> = (strings: TemplateStringsArray, ...values: unknown[]) => Promise<R>;

/** A transaction on a `pg` connection, queried with tagged templates like Prisma's raw API. */
export type SqlTx = {
  /** The rows of a statement. Values become parameters; untyped ones in a select list need a cast. */
  rows: <T>(strings: TemplateStringsArray, ...values: unknown[]) => Promise<T[]>;
  /** Runs a statement; the number of rows it touched. */
  run: SqlTag<number>;
};

function toQuery(strings: TemplateStringsArray, values: unknown[]): pg.QueryConfig {
  let text = strings[0]!;
  for (let i = 1; i < strings.length; i++) text += `$${i}${strings[i]}`;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (Array.isArray(value)) values[i] = arrayLiteral(value) ?? value;
  }
  return { text, values };
}

/**
 * The Postgres array literal of a flat array of strings, numbers and nulls; undefined for
 * anything else, which `pg` then writes itself. `pg` quotes every element through two
 * regular-expression replaces; the drain batch sends thousands of elements per statement, and
 * this costs a third as much (measured on the bench's 500-event batches: 6-7.7 -> 1.8-2.9 µs
 * of the worker's CPU per event). Numbers are written unquoted, as Postgres reads them.
 */
export function arrayLiteral(values: readonly unknown[]): string | undefined {
  let literal = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) literal += ",";
    const value = values[i];
    if (value === null || value === undefined) literal += "NULL";
    else if (typeof value === "number") literal += value;
    else if (typeof value !== "string") return undefined;
    else if (value.includes('"') || value.includes("\\")) literal += `"${value.replace(/["\\]/g, "\\$&")}"`;
    else literal += `"${value}"`;
  }
  return `${literal}}`;
}

/**
 * One statement on the `pg` pool, outside any transaction: its rows. Inside `onReplicaSql`, on
 * the read replica's pool instead.
 */
export async function sqlRows<T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]> {
  return (await readPool().query(toQuery(strings, values))).rows;
}

/** The pool `sqlRows` reads through: the read replica's inside `onReplicaSql`, else the primary's. */
export function readPool(): pg.Pool {
  return replicaScope.getStore() ? replicaSqlPool() : sqlPool();
}

// The read replica (DATABASE_REPLICA_URL): its pool opens only when a read goes there, so a
// process that never reads for the dashboard (ingest, the worker) never connects to it.
let replicaPool: pg.Pool | undefined;

function replicaSqlPool(): pg.Pool {
  const connectionString = env().DATABASE_REPLICA_URL;
  if (!connectionString) throw new Error("DATABASE_REPLICA_URL is not set");
  // A replica that does not answer must not hold reads for long: lib/db-read.ts's probe fails
  // within this and sends reads to the primary meanwhile.
  replicaPool ??= newPool(poolSizes().sql, connectionString, { connectionTimeoutMillis: 5_000 });
  return replicaPool;
}

/** One statement on the read replica: its rows (lib/db-read.ts decides when a read may go there). */
export async function replicaSqlRows<T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]> {
  return (await replicaSqlPool().query(toQuery(strings, values))).rows;
}

const replicaScope = new AsyncLocalStorage<true>();

/**
 * Runs `fn` with its `sqlRows` statements on the read replica: for a read path whose statements
 * sit in helpers that take no database handle (the transactions list). Transactions
 * (`sqlTransaction`) stay on the primary; a write in the scope fails on the read-only replica.
 */
export function onReplicaSql<T>(fn: () => Promise<T>): Promise<T> {
  return replicaScope.run(true, fn);
}

/**
 * One statement on a small pool of its own, for work beside the drain (alert deliveries): a
 * burst of them queues for its own connections, never ahead of a batch transaction waiting for
 * one of the drain's.
 */
export async function asideSqlRows<T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]> {
  asidePool ??= newPool(poolSizes().aside);
  return (await asidePool.query(toQuery(strings, values))).rows;
}

/**
 * Runs `fn` in one transaction on a connection of its own: committed when it resolves.
 *
 * `genericPlans`: plan the transaction's statements without looking at their parameters.
 * A custom plan (Postgres's default for one-off statements) folds every parameter into the
 * plan as a constant, copying it twice more, which for the drain's megabytes of event
 * documents per statement is costly; its statements' plans do not depend on the values.
 */
export async function sqlTransaction<T>(
  fn: (tx: SqlTx) => Promise<T>,
  options: { genericPlans?: boolean } = {},
): Promise<T> {
  const connection = await sqlPool().connect();
  const tx: SqlTx = {
    rows: async (strings, ...values) => (await connection.query(toQuery(strings, values))).rows,
    run: async (strings, ...values) => (await connection.query(toQuery(strings, values))).rowCount ?? 0,
  };
  try {
    await connection.query(
      options.genericPlans ? "begin; set local plan_cache_mode = force_generic_plan" : "begin",
    );
    const result = await fn(tx);
    await connection.query("commit");
    connection.release();
    return result;
  } catch (error) {
    // A connection that cannot even roll back is broken: the pool closes it.
    const broken = await connection.query("rollback").then(
      () => undefined,
      (rollbackError: Error) => rollbackError,
    );
    connection.release(broken);
    throw error;
  }
}

/** Ends this process's `pg` pools (lib/db.ts's closeDb ends them with the Prisma client). */
export async function closeSql(): Promise<void> {
  await pool?.end();
  pool = undefined;
  await asidePool?.end();
  asidePool = undefined;
  await replicaPool?.end();
  replicaPool = undefined;
}
