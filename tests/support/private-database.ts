import { afterAll, beforeAll, inject } from "vitest";
import { closeDb } from "@/lib/db";
import { setDatabaseUrl } from "@/lib/env";
import { migrate } from "@/lib/migrate";
import { closeRedis } from "@/lib/redis";
import { queryOnce } from "./query-once";

/**
 * A database of the test file's own, made before its tests and dropped after them, for tests
 * whose clock moves months ahead (dropping partitions at that clock would drop other test
 * files' rows in the shared one). `setUp` brings it to the schema lib/ expects (default: every
 * migration) before lib/ is pointed at it. Returns its URL.
 */
export function privateDatabase(prefix: string, setUp: (url: string) => Promise<void> = migrate): string {
  const name = `errorhub_${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const server = inject("databaseServer");
  const url = Object.assign(new URL(server), { pathname: `/${name}` }).toString();
  beforeAll(async () => {
    await queryOnce(server, `create database "${name}"`);
    await setUp(url);
    setDatabaseUrl(url);
  }, 120_000);
  afterAll(async () => {
    await closeDb();
    await closeRedis();
    await queryOnce(server, `drop database if exists "${name}" with (force)`);
  });
  return url;
}
