import { PrismaPg } from "@prisma/adapter-pg";
import { type Prisma, PrismaClient } from "./generated/prisma/client.ts";
import { env } from "./env";
import { closeSql, poolSizes } from "./sql";

export { arrayLiteral, asideSqlRows, type SqlTx, sqlRows, sqlTransaction } from "./sql";

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

export async function closeDb(): Promise<void> {
  await client?.$disconnect();
  client = undefined;
  await closeSql();
}
