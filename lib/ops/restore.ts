import { existsSync } from "node:fs";
import { mkdtemp, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import * as tar from "tar";
import { dataPath, ensureDataDir, env } from "../env";
import { AppError } from "../errors";
import { migrate } from "../migrate";
import { type Manifest, manifestSchema } from "./manifest";
import { restoreClusterOffline } from "./physical-restore";
import { findPgTool, runPgTool, serverMajor } from "./pg-tools";

export type RestoreResult = {
  manifest: Manifest;
  blobs: "restored" | "none" | string;
  /** A physical restore: where the replaced cluster's folder was moved (kept, not deleted). */
  previous?: string;
};

const ENTRY = /^(manifest\.json|database\.dump|(blobs|postgres)(\/[A-Za-z0-9._-]+)*\/?)$/;

/**
 * `admin restore --in FILE [--yes]`: replaces the database (every table, dropped first, so
 * nothing of the current schema is left over) and the filesystem blob store with the backup's,
 * then migrates up when the backup is older than this code. Refuses a database that holds
 * accounts unless `yes`, and always while other connections use it (the platform running).
 * The archive and its dump are checked before anything is dropped.
 */
export async function unsafeRestore(input: string, options: { yes: boolean }): Promise<RestoreResult> {
  const databaseUrl = env().DATABASE_URL!;
  const file = path.resolve(input);
  if (!(await stat(file).catch(() => null))?.isFile())
    throw new AppError("bad_request", `${file} is not a file`);
  ensureDataDir();
  // Under DATA_DIR: the blobs are renamed from here into the store, on the same filesystem.
  const staging = await mkdtemp(dataPath(".restore-"));
  try {
    const manifest = await unpack(file, staging);
    if (manifest.method === "physical") {
      // Into the embedded cluster's folder, with the server stopped; migrated up inside.
      const previous = await restoreClusterOffline(databaseUrl, path.join(staging, "postgres"), manifest, {
        yes: options.yes,
        checkReplaceable,
      });
      return { manifest, blobs: await restoreBlobs(manifest, staging), previous };
    }
    const major = await serverMajor(databaseUrl);
    const pgRestore = findPgTool("pg_restore", Math.max(major, manifest.pgDumpMajor ?? 0));
    const dump = path.join(staging, "database.dump");
    await runPgTool(pgRestore, ["--list", dump]).catch((error: AppError) => {
      throw new AppError(
        "bad_request",
        `${file} is not an errorhub backup (its database dump does not read: ${error.message})`,
      );
    });
    await emptyDatabase(databaseUrl, options.yes);
    await runPgTool(
      pgRestore,
      ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", dump],
      databaseUrl,
    );
    const blobs = await restoreBlobs(manifest, staging);
    await migrate(databaseUrl); // a backup older than this code: its later migrations now
    return { manifest, blobs };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function unpack(file: string, staging: string): Promise<Manifest> {
  const notBackup = (why: string) =>
    new AppError("bad_request", `${file} is not an errorhub backup (${why})`);
  // Only plain files and folders under the known names: no links, nothing elsewhere
  // (node-tar already refuses absolute paths and ".."). The filter runs inside the parser's
  // stream, where a throw would be uncaught: the first odd entry is noted and refused after.
  let unexpected: string | undefined;
  try {
    await tar.extract({
      file,
      cwd: staging,
      strict: true,
      filter: (entryPath, entry) => {
        const type = "type" in entry ? entry.type : "File";
        const ok = ENTRY.test(entryPath.replace(/^\.\//, "")) && (type === "File" || type === "Directory");
        if (!ok) unexpected ??= entryPath;
        return ok && unexpected === undefined;
      },
    });
  } catch (error) {
    throw notBackup(oneLine(error));
  }
  if (unexpected !== undefined) throw notBackup(`unexpected entry ${JSON.stringify(unexpected)}`);
  let manifest: Manifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(await readFile(path.join(staging, "manifest.json"), "utf8")));
  } catch (error) {
    throw notBackup(
      `manifest.json: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : oneLine(error)}`,
    );
  }
  const needed =
    manifest.method === "physical"
      ? ["postgres/PG_VERSION", "postgres/backup_label", "postgres/global/pg_control"]
      : ["database.dump"];
  for (const entry of needed)
    if (!existsSync(path.join(staging, entry))) throw notBackup(`${entry} is missing`);
  return manifest;
}

async function emptyDatabase(databaseUrl: string, yes: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await checkReplaceable(client, yes);
    // Everything of ours lives in public (tables, enums, dbmate's schema_migrations, pg_trgm).
    await client.query("drop schema public cascade; create schema public");
  } finally {
    await client.end();
  }
}

/** Refuses (one line) a database others use, or one holding accounts without `yes`. */
async function checkReplaceable(client: pg.Client, yes: boolean): Promise<void> {
  const others = await client.query<{ n: number }>(
    "select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
  );
  const busy = others.rows[0]!.n;
  if (busy > 0)
    throw new AppError("conflict", `stop the platform first: ${busy} other connection(s) use the database`);
  if (!yes) {
    const { rows } = await client.query<{ n: number }>(
      `select case when to_regclass('public.organizations') is null then 0
           else (select count(*)::int from organizations) + (select count(*)::int from users) end as n`,
    );
    if (rows[0]!.n > 0)
      throw new AppError(
        "conflict",
        "the database holds organizations or users: pass --yes to replace everything in it with the backup",
      );
  }
}

async function restoreBlobs(manifest: Manifest, staging: string): Promise<RestoreResult["blobs"]> {
  if (manifest.blobs === "s3") return "not in the backup: its blobs were in an S3 bucket";
  const extracted = path.join(staging, "blobs");
  if (manifest.blobs === "none" || !existsSync(extracted)) return "none";
  if (env().BLOB_STORE === "s3")
    return "not restored: the backup holds filesystem blobs and BLOB_STORE is s3 (copy them into the bucket)";
  await rm(dataPath("blobs"), { recursive: true, force: true });
  await rename(extracted, dataPath("blobs"));
  return "restored";
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
}
