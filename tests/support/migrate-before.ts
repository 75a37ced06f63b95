import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./processes";

/**
 * Migrates `databaseUrl` with this checkout's migrations older than `migration` (its timestamp
 * prefix): the install as it was before that migration, for an upgrade test to fill and then
 * migrate the rest of the way.
 */
export function migrateBefore(databaseUrl: string, migration: string): void {
  const dir = mkdtempSync(path.join(tmpdir(), "errorhub-migrate-before-"));
  try {
    for (const file of readdirSync(path.join(ROOT, "prisma/migrations"))) {
      if (file < migration) copyFileSync(path.join(ROOT, "prisma/migrations", file), path.join(dir, file));
    }
    execFileSync(path.join(ROOT, "node_modules/.bin/dbmate"), ["--no-dump-schema", "--migrations-dir", dir, "up"], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: "ignore",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
