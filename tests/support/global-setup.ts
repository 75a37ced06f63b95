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
  };
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
