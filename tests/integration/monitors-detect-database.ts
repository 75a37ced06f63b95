import pg from "pg";
import { inject } from "vitest";
import { migrate } from "@/lib/migrate";

// The minute job sweeps every organization's monitors: run against the database all test
// files share, a test's made-up "now" would mark other files' monitors missed, and their
// worker processes (which run the job every minute) would mark this file's. So this file gets
// a database of its own, set before anything reads DATABASE_URL: import this module first.

const server = inject("databaseServer");
export const DATABASE_NAME = `errorhub_detect_${process.pid}_${Date.now().toString(36)}`;
const url = new URL(server);
url.pathname = `/${DATABASE_NAME}`;
export const DATABASE_URL = url.toString();

await admin(`create database "${DATABASE_NAME}"`);
await migrate(DATABASE_URL);
process.env.DATABASE_URL = DATABASE_URL;

/** Drops the file's database; call after closeDb(). */
export async function dropDetectDatabase(): Promise<void> {
  await admin(`drop database if exists "${DATABASE_NAME}" with (force)`);
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
