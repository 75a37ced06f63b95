import { PrismaPg } from "@prisma/adapter-pg";
import type { Viewer } from "./auth/viewer";
import { readsOnReplica } from "./db-read";
import { type Prisma, PrismaClient } from "./generated/prisma/client.ts";
import { env } from "./env";
import { closeSql, poolSizes } from "./sql";

export { duringWrite, markWritten, readsOnReplica } from "./db-read";
export { arrayLiteral, asideSqlRows, onReplicaSql, type SqlTx, sqlRows, sqlTransaction } from "./sql";

export type Db = PrismaClient;
/** The client inside `db().$transaction(async (tx) => ...)`. */
export type Tx = Prisma.TransactionClient;

let client: PrismaClient | undefined;

/**
 * The one Prisma client of this process. DATABASE_URL must be known by the time it is first
 * used: entry points resolve it first (see lib/database-url.ts: resolveDatabaseUrl), which may start the embedded
 * PostgreSQL.
 */
export function db(): PrismaClient {
  if (!client) {
    const connectionString = env().DATABASE_URL;
    if (!connectionString) throw new Error("DATABASE_URL is not resolved yet");
    client = new PrismaClient({ adapter: new PrismaPg({ connectionString, max: poolSizes().prisma }) });
  }
  return client;
}

let replicaClient: PrismaClient | undefined;

/**
 * The client for a viewer's dashboard and API reads: the read replica's (DATABASE_REPLICA_URL)
 * when it has replayed the viewer's last change (lib/db-read.ts), else db(). Only for reads
 * outside transactions: anything that reads in order to write uses db(), and a write sent here
 * fails on the read-only replica. The replica's client is made on first use, so processes that
 * never read for a viewer (ingest, the worker) hold no second client.
 */
export async function dbRead(viewer: Viewer): Promise<PrismaClient> {
  if (!(await readsOnReplica(viewer))) return db();
  replicaClient ??= new PrismaClient({
    adapter: new PrismaPg({ connectionString: env().DATABASE_REPLICA_URL!, max: poolSizes().prisma }),
  });
  return replicaClient;
}

export async function closeDb(): Promise<void> {
  await client?.$disconnect();
  client = undefined;
  await replicaClient?.$disconnect();
  replicaClient = undefined;
  await closeSql();
}
