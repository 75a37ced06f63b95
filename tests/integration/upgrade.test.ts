import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { viewerForOrg } from "@/lib/auth/viewer";
import { closeDb } from "@/lib/db";
import { setDatabaseUrl } from "@/lib/env";
import { listIssueEvents } from "@/lib/issues/events";
import { listIssues } from "@/lib/issues/list";
import { NODE, ROOT, WITH_TSX, run } from "../support/processes";

// `git pull && npm ci && npm start` on an install made by an older version: its database is
// migrated by this code and keeps its data. The older install is the commit before #19's schema
// (releases and artifacts), read from git at test time: sixteen migrations, check-in durations
// still in seconds. Fixed on purpose, so the test always covers the same long way up.
const OLDER = "65dee3bd90f3c726d002d4973bea582a1a31b4ae";

const name = `errorhub_upgrade_${process.pid}_${Date.now().toString(36)}`;
const server = inject("databaseServer");
const databaseUrl = Object.assign(new URL(server), { pathname: `/${name}` }).toString();
const work = mkdtempSync(path.join(tmpdir(), "errorhub-upgrade-"));

async function sql<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

async function onServer(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  await client.query(text).finally(() => client.end());
}

/** The older commit's prisma/migrations, written out for dbmate. */
function olderMigrations(): string {
  const dir = path.join(work, "migrations");
  mkdirSync(dir);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
  for (const file of git("ls-tree", "--name-only", `${OLDER}:prisma/migrations`).trim().split("\n")) {
    writeFileSync(path.join(dir, file), git("show", `${OLDER}:prisma/migrations/${file}`));
  }
  return dir;
}

beforeAll(async () => {
  await onServer(`create database "${name}"`);
  const dir = olderMigrations();
  expect(readdirSync(dir)).toHaveLength(16);
  execFileSync(path.join(ROOT, "node_modules/.bin/dbmate"), ["--no-dump-schema", "--migrations-dir", dir, "up"], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: "ignore",
  });
  // Data as that version wrote it (SQL valid for its schema only: duration_s, no monitors).
  await sql(`
    with u as (insert into users (email, name) values ('old@upgrade.test', 'Old') returning id),
         o as (insert into organizations (slug, name) values ('old-org', 'Old Org') returning id),
         m as (insert into memberships (org_id, user_id, role) select o.id, u.id, 'owner'::"Role" from o, u),
         p as (insert into projects (org_id, slug, name, platform) select id, 'old-app', 'Old App', 'node' from o returning id),
         i as (insert into issues (project_id, short_id, title, times_seen, first_seen, last_seen)
               select id, 1, 'Error: from the old days', 3, now() - interval '1 hour', now() from p returning id, project_id),
         e as (insert into events (project_id, issue_id, event_id, timestamp, payload)
               select project_id, id, md5(n::text), now() - n * interval '1 minute',
                      json_build_object('event_id', md5(n::text), 'message', 'old event ' || n, 'platform', 'node')
               from i, generate_series(1, 3) n)
    insert into check_ins (project_id, check_in_id, monitor_slug, status, duration_s, created_at, updated_at, payload)
    select id, 'c0ffee00c0ffee00c0ffee00c0ffee00', 'nightly', 'ok', 12.5, now(), now(), '{}' from p`);
});

afterAll(async () => {
  await closeDb();
  await onServer(`drop database if exists "${name}" with (force)`);
  rmSync(work, { recursive: true, force: true });
});

describe("upgrade from an older install", { timeout: 180_000 }, () => {
  it("migrates to the current schema on start and keeps the data, which the app then reads", async () => {
    const [{ before }] = await sql<{ before: string }>("select max(version)::text as before from schema_migrations");
    expect(before).toBe("20261204144433");

    // What `npm start` runs first (boot with migrate), through the admin entry point.
    const migrated = await run(NODE, [...WITH_TSX, "workers/admin.ts", "migrate"], { DATABASE_URL: databaseUrl, LOG_LEVEL: "warn" });
    expect(migrated.code, migrated.output).toBe(0);
    const latest = readdirSync(path.join(ROOT, "prisma/migrations")).sort().pop()!.slice(0, 14);
    const [{ after }] = await sql<{ after: string }>("select max(version)::text as after from schema_migrations");
    expect(after).toBe(latest);

    // Seconds became milliseconds (migration of #20), the row otherwise untouched.
    expect(await sql("select monitor_slug, status, duration_ms from check_ins")).toEqual([
      { monitor_slug: "nightly", status: "ok", duration_ms: 12500 },
    ]);
    expect(await sql("select column_name from information_schema.columns where table_name = 'check_ins' and column_name = 'duration_s'")).toEqual([]);

    // The app's own reads on the upgraded data, as the issue list and event pages do them.
    setDatabaseUrl(databaseUrl);
    const [{ id: userId }] = await sql<{ id: number }>("select id from users where email = 'old@upgrade.test'");
    const viewer = await viewerForOrg(userId, "old-org");
    expect(viewer).not.toBeNull();
    const { issues } = await listIssues(viewer!, {});
    expect(issues.map((i) => ({ title: i.title, timesSeen: i.timesSeen }))).toEqual([{ title: "Error: from the old days", timesSeen: 3 }]);
    const { events } = await listIssueEvents(viewer!, Number(issues[0]!.id), {});
    expect(events).toHaveLength(3);

    // A second start has nothing to apply and changes nothing.
    const again = await run(NODE, [...WITH_TSX, "workers/admin.ts", "migrate"], { DATABASE_URL: databaseUrl, LOG_LEVEL: "warn" });
    expect(again.code).toBe(0);
    expect(again.output).not.toMatch(/Applying/);
  });
});
