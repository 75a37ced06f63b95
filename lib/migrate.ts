import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The project root is found from this file, not process.cwd(), so callers need not start in
// it; walking up works both from lib/ (tsx) and from the bundle in dist/workers/.
function findProjectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "prisma", "migrations"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find prisma/migrations above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/**
 * Creates the database if needed and applies the pending migrations in
 * prisma/migrations, each in its own transaction. dbmate's output goes to stderr.
 */
export async function migrate(databaseUrl: string): Promise<void> {
  const projectRoot = findProjectRoot();
  const dbmate = path.join(projectRoot, "node_modules", ".bin", "dbmate");
  // dbmate's driver (lib/pq) defaults to sslmode=require, node-pg to no TLS;
  // without an explicit sslmode, behave like the app's own connections.
  const url = new URL(databaseUrl);
  if (!url.searchParams.has("sslmode")) url.searchParams.set("sslmode", "disable");

  // Global flags must come before the command.
  const args = ["--no-dump-schema", "--migrations-dir", "prisma/migrations", "up"];
  const child = spawn(dbmate, args, {
    cwd: projectRoot,
    env: { ...process.env, DATABASE_URL: url.href },
    stdio: ["ignore", process.stderr, process.stderr],
  });
  return new Promise((resolve, reject) => {
    child.on("error", (error) => reject(new Error(`cannot run dbmate at ${dbmate}: ${error.message}`)));
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`dbmate up failed (${signal ?? `exit code ${code}`}); its output is above`));
    });
  });
}
