import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { migrate } from "@/lib/migrate";
import { NODE, WITH_TSX, run } from "../support/processes";

// `npm run admin -- backup` and `restore` on a database of their own (not the run's shared
// one: restore drops everything in it), with the server's pg_dump/pg_restore from PATH.

const name = `errorhub_backup_${process.pid}_${Date.now().toString(36)}`;
const server = inject("databaseServer");
const databaseUrl = Object.assign(new URL(server), { pathname: `/${name}` }).toString();
const work = mkdtempSync(path.join(tmpdir(), "errorhub-backup-"));
const dataDir = path.join(work, "data");
const blob = path.join(dataDir, "blobs", "chunks", "7", "0123abcd");

const admin = (args: string[]) =>
  run(NODE, [...WITH_TSX, "workers/admin.ts", ...args], { DATABASE_URL: databaseUrl, DATA_DIR: dataDir, LOG_LEVEL: "warn" });

async function sql<T extends pg.QueryResultRow>(connectionString: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const recreate = async () => {
  await sql(server, `drop database if exists "${name}" with (force)`);
  await sql(server, `create database "${name}"`);
};

/** What the test put in, read back the way a person would check it. */
const contents = () =>
  sql(
    databaseUrl,
    `select o.slug as org, p.slug as project, i.title, i.times_seen, u.email,
            (select count(*)::int from events e where e.issue_id = i.id) as events,
            (select string_agg(e.payload::text, ',' order by e.id) from events e where e.issue_id = i.id) as payloads
       from organizations o join projects p on p.org_id = o.id join issues i on i.project_id = p.id
       join memberships m on m.org_id = o.id join users u on u.id = m.user_id`,
  );

beforeAll(async () => {
  await recreate();
  await migrate(databaseUrl);
  await sql(
    databaseUrl,
    `with u as (insert into users (email, name) values ('owner@backup.test', 'Owner') returning id),
          o as (insert into organizations (slug, name) values ('acme-backup', 'Acme') returning id),
          m as (insert into memberships (org_id, user_id, role) select o.id, u.id, 'owner'::"Role" from o, u),
          p as (insert into projects (org_id, slug, name) select id, 'api', 'API' from o returning id),
          i as (insert into issues (project_id, short_id, title, times_seen, first_seen, last_seen)
                select id, 1, 'TypeError: x is undefined', 2, now(), now() from p returning id, project_id)
     insert into events (project_id, issue_id, event_id, timestamp, payload)
     select project_id, id, md5(n::text), now(), json_build_object('message', 'boom ' || n) from i, generate_series(1, 2) n`,
  );
  mkdirSync(path.dirname(blob), { recursive: true });
  writeFileSync(blob, "source map chunk");
});

afterAll(async () => {
  await sql(server, `drop database if exists "${name}" with (force)`);
  rmSync(work, { recursive: true, force: true });
});

describe("admin backup and restore", { timeout: 180_000 }, () => {
  const file = path.join(work, "errorhub.tar.gz");

  it("round trip: the database and the blob store come back after the database is dropped", async () => {
    const before = await contents();
    expect(before).toEqual([
      expect.objectContaining({ org: "acme-backup", project: "api", email: "owner@backup.test", events: 2, times_seen: 2 }),
    ]);

    const backup = await admin(["backup", "--out", file, "--json"]);
    expect(backup.code, backup.output).toBe(0);
    const result = JSON.parse(backup.output.trim().split("\n").pop()!);
    expect(result.manifest).toMatchObject({ format: "errorhub-backup", formatVersion: 1, blobs: "filesystem" });
    const level = (await sql<{ level: string }>(databaseUrl, "select max(version)::text as level from schema_migrations"))[0]!.level;
    expect(result.manifest.migration).toBe(level);
    const entries: string[] = [];
    await tar.list({ file, onReadEntry: (entry) => entries.push(entry.path) });
    expect(entries).toEqual(expect.arrayContaining(["manifest.json", "database.dump", "blobs/chunks/7/0123abcd"]));

    // Disaster: the database and the blobs are gone.
    await recreate();
    rmSync(path.join(dataDir, "blobs"), { recursive: true });

    // admin migrates the new, empty database first: no data, so no --yes needed.
    const restore = await admin(["restore", "--in", file]);
    expect(restore.code, restore.output).toBe(0);
    expect(restore.output).toMatch(/restored the backup of .*; blobs: restored/);
    expect(await contents()).toEqual(before);
    expect(readFileSync(blob, "utf8")).toBe("source map chunk");
    // The sequences came back too: the next org gets a new id, not a duplicate.
    await sql(databaseUrl, "insert into organizations (slug, name) values ('after-restore', 'After')");
  });

  it("refuses to replace a database holding accounts without --yes, and replaces it with --yes", async () => {
    const refused = await admin(["restore", "--in", file]);
    expect(refused.code).toBe(1);
    expect(refused.output.trim()).toBe("error: the database holds organizations or users: pass --yes to replace everything in it with the backup");
    expect((await sql(databaseUrl, "select 1 from organizations where slug = 'after-restore'")).length).toBe(1);

    const replaced = await admin(["restore", "--in", file, "--yes"]);
    expect(replaced.code, replaced.output).toBe(0);
    // The org made after the backup is gone: the database is the backup's again.
    expect((await sql(databaseUrl, "select slug from organizations")).map((r) => r.slug)).toEqual(["acme-backup"]);
  });

  it("refuses while the platform (any other connection) uses the database", async () => {
    const other = new pg.Client({ connectionString: databaseUrl });
    await other.connect();
    try {
      const busy = await admin(["restore", "--in", file, "--yes"]);
      expect(busy.code).toBe(1);
      expect(busy.output.trim()).toMatch(/^error: stop the platform first: \d+ other connection\(s\) use the database$/);
    } finally {
      await other.end();
    }
    expect(await contents()).toHaveLength(1);
  });

  it("a file that is not a backup is one line and exit 1, and nothing is dropped", async () => {
    const junk = path.join(work, "junk.tar.gz");
    writeFileSync(junk, "this is not a tar file at all");
    const notTar = await admin(["restore", "--in", junk, "--yes"]);
    expect(notTar.code).toBe(1);
    expect(notTar.output.trim()).toMatch(new RegExp(`^error: ${junk} is not an errorhub backup \\([^\\n]+\\)$`));

    // A real tar, but with a link where a blob should be (it could point anywhere on restore).
    const staging = path.join(work, "evil");
    mkdirSync(path.join(staging, "blobs"), { recursive: true });
    writeFileSync(path.join(staging, "manifest.json"), "{}");
    symlinkSync("/etc/passwd", path.join(staging, "blobs", "link"));
    const evil = path.join(work, "evil.tar.gz");
    await tar.create({ file: evil, cwd: staging, gzip: true }, ["manifest.json", "blobs"]);
    const linked = await admin(["restore", "--in", evil, "--yes"]);
    expect(linked.code).toBe(1);
    expect(linked.output.trim()).toBe(`error: ${evil} is not an errorhub backup (unexpected entry "blobs/link")`);

    const missing = await admin(["restore", "--in", path.join(work, "nope.tar.gz")]);
    expect(missing.output.trim()).toBe(`error: ${path.join(work, "nope.tar.gz")} is not a file`);
    expect(await contents()).toHaveLength(1);
  });
});
