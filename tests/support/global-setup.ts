import { Redis } from "ioredis";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrate } from "../../lib/migrate";

// One fresh database per test run, migrated from the committed SQL, dropped at the end.
const SERVER = process.env.TEST_DATABASE_SERVER ?? "postgresql://postgres@127.0.0.1:5432/postgres?sslmode=disable";

export default async function setup(project: TestProject) {
  const name = `errorhub_test_${process.pid}_${Date.now().toString(36)}`;
  const server = new URL(SERVER);
  const databaseUrl = new URL(SERVER);
  databaseUrl.pathname = `/${name}`;
  await admin(server.toString(), `create database "${name}"`);
  await migrate(databaseUrl.toString());
  project.provide("databaseUrl", databaseUrl.toString());
  project.provide("databaseServer", server.toString());
  return async () => {
    await admin(server.toString(), `drop database if exists "${name}" with (force)`);
    await deleteRedisKeys(`test${process.pid}x*`);
  };
}

// Test files use REDIS_PREFIX test<this pid>x<random> (tests/support/setup.ts).
async function deleteRedisKeys(pattern: string) {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function admin(connectionString: string, sql: string) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseServer: string;
  }
}
