import { readFileSync } from "node:fs";
import { chmod, chown, cp, lstat, readdir, rename, rm, stat } from "node:fs/promises";
import { userInfo } from "node:os";
import path from "node:path";
import pg from "pg";
import { answers, stopEmbeddedPostgres } from "../database-url";
import { embeddedPostgresPlace, loadEmbeddedPostgres } from "../embedded-postgres";
import { AppError } from "../errors";
import { migrate } from "../migrate";
import type { Manifest } from "./manifest";
import { embeddedDataDir } from "./physical-backup";
import { serverMajor } from "./pg-tools";

/**
 * Puts a physical backup's cluster (unpacked in `unpacked`) in place of the embedded one: checks
 * it is the embedded cluster of the same major and may be replaced, stops it (when this process
 * started it; a cluster the platform runs is refused), moves the old folder aside (kept, its path
 * returned), moves the backup's in, and starts it once: PostgreSQL finds backup_label and replays
 * the WAL copied with it up to a consistent point, then migrations bring the schema up to this
 * code. The server is stopped again at the end, as the platform was.
 */
export async function restoreClusterOffline(
  databaseUrl: string,
  unpacked: string,
  manifest: Manifest,
  options: { yes: boolean; checkReplaceable: (client: pg.Client, yes: boolean) => Promise<void> },
): Promise<string> {
  const dataDir = await embeddedDataDir(databaseUrl);
  if (!dataDir) {
    throw new AppError(
      "bad_request",
      "this backup is a physical copy of the embedded PostgreSQL: it restores only into the embedded one (unset DATABASE_URL)",
    );
  }
  const major = await serverMajor(databaseUrl);
  if (major !== manifest.postgresMajor) {
    throw new AppError(
      "bad_request",
      `this backup holds a PostgreSQL ${manifest.postgresMajor} cluster and the embedded PostgreSQL is ${major}: restore it with an errorhub whose embedded PostgreSQL is ${manifest.postgresMajor}`,
    );
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await options.checkReplaceable(client, options.yes);
  } finally {
    await client.end();
  }

  // Stops the cluster if this process started it (admin's boot does when the platform is down).
  await stopEmbeddedPostgres();
  const pid = livePostmaster(dataDir);
  if (pid !== undefined || (await answers(databaseUrl))) {
    throw new AppError(
      "conflict",
      `stop the platform first: the embedded PostgreSQL in ${dataDir} is running${pid ? ` (pid ${pid})` : ""}`,
    );
  }

  const owner = await stat(dataDir);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
  const previous = `${dataDir}.before-restore-${stamp}`;
  await rename(dataDir, previous);
  try {
    await moveFolder(unpacked, dataDir);
    // PostgreSQL refuses a data folder others can read; as root, the server runs as the user
    // who owned the old folder (the postgres system user), who must own every file.
    await chmod(dataDir, 0o700);
    if (userInfo().uid === 0) await chownTree(dataDir, owner.uid, owner.gid);
    await startRecoverMigrateStop(dataDir, databaseUrl);
  } catch (error) {
    // Put the old cluster back, keeping the failed copy to look at.
    const failed = `${dataDir}.failed-restore-${stamp}`;
    await rename(dataDir, failed).catch(() => {});
    await rename(previous, dataDir);
    const why = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
    throw new AppError(
      "bad_request",
      `the restored cluster did not start (${why}); the previous one is back in ${dataDir}, the restored copy is in ${failed}`,
    );
  }
  return previous;
}

async function startRecoverMigrateStop(dataDir: string, databaseUrl: string): Promise<void> {
  const EmbeddedPostgres = await loadEmbeddedPostgres(embeddedPostgresPlace());
  let lastLog = "(no output)";
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: Number(new URL(databaseUrl).port),
    user: "postgres",
    password: "postgres",
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    onLog: (message) => {
      lastLog = message.trim() || lastLog;
    },
    onError: () => {},
  });
  // Resolves once recovery has finished and the server accepts connections.
  await server.start().catch((error: unknown) => {
    throw new Error(error instanceof Error ? error.message : `postgres exited: ${lastLog}`);
  });
  try {
    await migrate(databaseUrl);
  } finally {
    await server.stop();
  }
}

/** The PID in the folder's postmaster.pid when that process is alive. */
function livePostmaster(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" ? pid : undefined;
  }
}

/** rename, or copy and delete when the two are on different filesystems (EMBEDDED_POSTGRES_DIR). */
async function moveFolder(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV") throw error;
    await cp(from, to, { recursive: true });
    await rm(from, { recursive: true, force: true });
  }
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid);
  for (const name of await readdir(dir)) {
    const entry = path.join(dir, name);
    if ((await lstat(entry)).isDirectory()) await chownTree(entry, uid, gid);
    else await chown(entry, uid, gid);
  }
}
