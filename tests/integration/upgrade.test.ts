import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { viewerForOrg } from "@/lib/auth/viewer";
import { closeDb } from "@/lib/db";
import { setDatabaseUrl } from "@/lib/env";
import { listIssueEvents } from "@/lib/issues/events";
import { listIssues } from "@/lib/issues/list";
import { turnTelemetryOff } from "@/lib/ops/telemetry";
import { NODE, ROOT, WITH_TSX, descendants, run, startPlatform } from "../support/processes";
import { queryOnce } from "../support/query-once";

// `git pull && npm ci && npm start` on an install made by an older version: its database is
// migrated by this code and keeps its data. The older install is the commit before #19's schema
// (releases and artifacts), read from git at test time: sixteen migrations, check-in durations
// still in seconds. Fixed on purpose, so the test always covers the same long way up.
const OLDER = "65dee3bd90f3c726d002d4973bea582a1a31b4ae";

const name = `errorhub_upgrade_${process.pid}_${Date.now().toString(36)}`;
const server = inject("databaseServer");
const databaseUrl = Object.assign(new URL(server), { pathname: `/${name}` }).toString();
const work = mkdtempSync(path.join(tmpdir(), "errorhub-upgrade-"));

const sql = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => queryOnce<T>(databaseUrl, text, values);

const onServer = async (text: string) => void (await queryOnce(server, text));

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
    const before = (await sql<{ before: string }>("select max(version)::text as before from schema_migrations"))[0]!.before;
    expect(before).toBe("20261204144433");

    // What `npm start` runs first (boot with migrate), through the admin entry point.
    const migrated = await run(NODE, [...WITH_TSX, "workers/admin.ts", "migrate"], { DATABASE_URL: databaseUrl, LOG_LEVEL: "warn" });
    expect(migrated.code, migrated.output).toBe(0);
    const latest = readdirSync(path.join(ROOT, "prisma/migrations")).sort().pop()!.slice(0, 14);
    const after = (await sql<{ after: string }>("select max(version)::text as after from schema_migrations"))[0]!.after;
    expect(after).toBe(latest);

    // Seconds became milliseconds (migration of #20), the row otherwise untouched.
    expect(await sql("select monitor_slug, status, duration_ms from check_ins")).toEqual([
      { monitor_slug: "nightly", status: "ok", duration_ms: 12500 },
    ]);
    expect(await sql("select column_name from information_schema.columns where table_name = 'check_ins' and column_name = 'duration_s'")).toEqual([]);

    // The app's own reads on the upgraded data, as the issue list and event pages do them.
    setDatabaseUrl(databaseUrl);
    const userId = (await sql<{ id: number }>("select id from users where email = 'old@upgrade.test'"))[0]!.id;
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

describe("containers: Dockerfile and compose.yaml", () => {
  // Neither can be built here (no image registry); what can be checked without Docker is.
  const compose = parse(readFileSync(path.join(ROOT, "compose.yaml"), "utf8"));
  const documented = new Set(
    [...readFileSync(path.join(ROOT, ".env.example"), "utf8").matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]),
  );

  it("compose.yaml: postgres and redis with health checks, errorhub waits for them and publishes both ports", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["errorhub", "postgres", "redis"]);
    for (const service of Object.values<{ healthcheck?: { test: string[] } }>(compose.services)) {
      expect(service.healthcheck?.test.length).toBeGreaterThan(0);
    }
    const app = compose.services.errorhub;
    expect(app.depends_on).toEqual({ postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
    expect(app.ports).toEqual(["3000:3000", "3001:3001"]);
    expect(app.healthcheck.test.join(" ")).toContain("http://127.0.0.1:3000/_health/");
    expect(app.volumes).toEqual(["data:/data"]);
    // Every variable it sets is one the platform reads (and .env.example documents).
    for (const variable of Object.keys(app.environment)) expect(documented, variable).toContain(variable);
    expect(new URL(app.environment.DATABASE_URL.replace(/\$\{[^}]+\}/, "x")).host).toBe("postgres:5432");
    expect(app.environment.REDIS_URL).toBe("redis://redis:6379");
    expect(compose.services.redis.command).toEqual(expect.arrayContaining(["--maxmemory-policy", "noeviction"]));
    expect(Object.keys(compose.volumes).sort()).toEqual(["data", "postgres", "redis"]);
  });

  it("Dockerfile: npm ci, npm run build, a non-root runtime running npm start with a data volume", () => {
    const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
    const stages = dockerfile.match(/^FROM .*/gm)!;
    expect(stages).toHaveLength(3);
    expect(dockerfile).toMatch(/^RUN npm ci$/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^VOLUME \/data$/m);
    expect(runtime).toMatch(/^EXPOSE 3000 3001$/m);
    expect(runtime).toMatch(/^CMD \["npm", "start"\]$/m);
    expect(runtime).toMatch(/NEXT_TELEMETRY_DISABLED=1/);
    // The context leaves out what the image builds itself and what must not leak into it.
    const ignored = readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n");
    expect(ignored).toEqual(expect.arrayContaining(["node_modules", ".next", "dist", ".data", ".env", ".git"]));
  });
});

describe("npm start: telemetry off, where the data lives", { timeout: 240_000 }, () => {
  it("keeps an operator's own telemetry choice", () => {
    const environment: Record<string, string | undefined> = { NEXT_TELEMETRY_DISABLED: "0", CLERK_TELEMETRY_DISABLED: "" };
    turnTelemetryOff(environment);
    expect(environment).toEqual({ NEXT_TELEMETRY_DISABLED: "0", CLERK_TELEMETRY_DISABLED: "1", NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED: "1" });
  });

  it("starts web with Next.js and Clerk telemetry off and prints the data's places and the backup command", async () => {
    const dataDir = path.join(work, "start-data");
    // A password in the URL (trust authentication ignores it here) that must not be printed.
    const withPassword = Object.assign(new URL(inject("databaseUrl")), { password: "hunter2secret" }).toString();
    const started = await startPlatform({ DATA_DIR: dataDir, DATABASE_URL: withPassword });
    try {
      const output = await started.process.waitFor(/backup {2}npm run admin -- backup --out \S+/);
      const text = started.process.output();
      expect(text).toContain(`data    PostgreSQL at 127.0.0.1:5432/${new URL(withPassword).pathname.slice(1)} (DATABASE_URL)`);
      expect(text).toContain(`blobs   ${path.join(dataDir, "blobs")}`);
      expect(text).not.toContain("hunter2secret");
      expect(output[0]).toContain("backup");
      const web = descendants(started.process.child.pid!).find((p) => /dist\/workers\/web\.js$/.test(p.args));
      expect(web).toBeDefined();
      const environ = readFileSync(`/proc/${web!.pid}/environ`, "utf8").split("\0");
      expect(environ).toEqual(expect.arrayContaining(["NEXT_TELEMETRY_DISABLED=1", "CLERK_TELEMETRY_DISABLED=1"]));
    } finally {
      await started.process.stop("SIGTERM");
    }
  });
});
