import { mkdtemp, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tar from "tar";
import { dataPath, env } from "../env";
import { AppError } from "../errors";
import { appVersion } from "../operator/version";
import { BACKUP_FORMAT, type Manifest, migrationLevel } from "./manifest";
import { copyClusterOnline, embeddedDataDir } from "./physical-backup";
import { type PgTool, findPgTool, runPgTool, serverMajor } from "./pg-tools";

export type BackupResult = { file: string; bytes: number; manifest: Manifest; blobsNote?: string };

/**
 * `admin backup --out FILE`: one gzipped tar holding manifest.json, database.dump (pg_dump's
 * custom format, for pg_restore) and blobs/ (the filesystem store's files). An S3 store is not
 * copied: it lives outside this machine and has its own versioning and replication; copying a
 * bucket here could be any size. Written beside FILE and renamed, so FILE is never half a backup.
 */
export async function unsafeBackup(out: string, options: { physical?: boolean } = {}): Promise<BackupResult> {
  const databaseUrl = env().DATABASE_URL!;
  const file = path.resolve(out);
  const dir = path.dirname(file);
  if (!(await stat(dir).catch(() => null))?.isDirectory())
    throw new AppError("bad_request", `cannot write ${file}: ${dir} is not a directory`);
  const major = await serverMajor(databaseUrl);
  let pgDump: PgTool | undefined;
  let clusterDir: string | undefined;
  if (options.physical) {
    clusterDir = await embeddedDataDir(databaseUrl);
    if (!clusterDir) throw new AppError("bad_request", "--physical copies the embedded PostgreSQL's cluster; this database is a configured server");
  } else {
    try {
      pgDump = findPgTool("pg_dump", major);
    } catch (error) {
      clusterDir = await embeddedDataDir(databaseUrl);
      if (!clusterDir) throw error; // a configured server: only pg_dump can reach it
    }
  }
  const migration = await migrationLevel(databaseUrl);
  if (!migration)
    throw new AppError("bad_request", "the database has no migrations applied: nothing to back up");

  const staging = await mkdtemp(path.join(dir, ".errorhub-backup-"));
  try {
    const entries = ["manifest.json"];
    let wal: Manifest["wal"];
    if (pgDump) {
      // --no-owner/--no-privileges: a restore into another server's role names still works.
      await runPgTool(
        pgDump,
        ["--format=custom", "--no-owner", "--no-privileges", `--file=${path.join(staging, "database.dump")}`],
        databaseUrl,
      );
      entries.push("database.dump");
    } else {
      const copy = await copyClusterOnline(databaseUrl, clusterDir!, path.join(staging, "postgres"));
      wal = { start: copy.start, stop: copy.stop };
      entries.push("postgres");
    }
    let blobs: Manifest["blobs"] = "none";
    let blobsNote: string | undefined;
    if (env().BLOB_STORE === "s3") {
      blobs = "s3";
      blobsNote = `blobs are in S3 bucket ${env().S3_BUCKET} and not in this file: back the bucket up with its own tools (versioning, replication)`;
    } else if ((await stat(dataPath("blobs")).catch(() => null))?.isDirectory()) {
      blobs = "filesystem";
      // A link to the store, followed while packing: no second copy of the files on disk.
      await symlink(dataPath("blobs"), path.join(staging, "blobs"));
      entries.push("blobs");
    }
    const manifest: Manifest = {
      format: BACKUP_FORMAT,
      formatVersion: 1,
      appVersion: appVersion(),
      createdAt: new Date().toISOString(),
      migration,
      method: pgDump ? "logical" : "physical",
      postgresMajor: major,
      ...(pgDump ? { pgDumpMajor: pgDump.major } : { wal }),
      blobs,
    };
    await writeFile(path.join(staging, "manifest.json"), JSON.stringify(manifest, null, 2));
    const partial = path.join(staging, "backup.tar.gz");
    // follow: pack what the blobs link points to; portable: no owner ids or host details.
    await tar.create({ file: partial, cwd: staging, gzip: true, follow: true, portable: true }, entries);
    await rename(partial, file);
    return { file, bytes: (await stat(file)).size, manifest, blobsNote };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
