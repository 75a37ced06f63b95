import type { Server } from "node:net";
import { EnvError, ensureDataDir, env } from "./env";
import { resolveDatabaseUrl, stopEmbeddedPostgres } from "./database-url";
import { migrate } from "./migrate";
import { probePostgres, probeRedis, redactUrl } from "./health";
import { redisStartHint } from "./redis";

const SHUTDOWN_DEADLINE_MS = 9000;
/**
 * Exit code of a configuration failure that starting again cannot fix (EX_CONFIG in
 * sysexits.h): the launcher (workers/start.mjs) stops the platform on it instead of restarting.
 */
export const EXIT_CONFIG = 78;

/**
 * What every process does first: validate the environment, make sure DATA_DIR can be written
 * when this process keeps files there, find (or start) PostgreSQL, and make sure both Postgres
 * and Redis answer; with `migrate`, also create the database if needed and apply pending
 * migrations. Any failure is one clear line and exit code 1.
 */
export async function boot(options: { migrate?: boolean; dataDir?: boolean } = {}): Promise<void> {
  try {
    env(); // also writes DATA_DIR/auth-secret the first time when AUTH_SECRET is unset
    // Before any Postgres work: without DATABASE_URL the embedded PostgreSQL lives there.
    if (options.dataDir || !env().DATABASE_URL) ensureDataDir();
  } catch (error) {
    if (error instanceof EnvError) fail(error.message);
    throw error;
  }
  let databaseUrl: string;
  try {
    databaseUrl = await resolveDatabaseUrl();
  } catch (error) {
    fail(`Could not start the embedded PostgreSQL: ${error instanceof Error ? error.message : String(error)}`);
  }
  const postgres = await probePostgres(databaseUrl, { allowMissingDatabase: options.migrate });
  if (postgres) fail(`Cannot reach PostgreSQL (DATABASE_URL=${redactUrl(databaseUrl)}): ${postgres}`);
  const redis = await probeRedis();
  if (redis) fail(`${redisStartHint()} (${redis})`);
  if (options.migrate) {
    try {
      await migrate(databaseUrl);
    } catch (error) {
      fail((error as Error).message);
    }
  }
}

export function fail(message: string, exitCode = 1): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(exitCode);
}

/**
 * Listens on the port named by `variable`. A port that is taken, or below 1024 without the
 * privilege, ends the process with one line saying what to do and EXIT_CONFIG.
 */
export async function listen(server: Server, variable: "PORT" | "INGEST_PORT"): Promise<void> {
  const port = env()[variable];
  await new Promise<void>((resolve) => {
    const refused = (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        fail(`port ${port} (${variable}) is already in use: stop what uses it or set ${variable} to a free port`, EXIT_CONFIG);
      }
      if (error.code === "EACCES") {
        fail(`port ${port} (${variable}) needs privileges this process lacks: set ${variable} to a port above 1023`, EXIT_CONFIG);
      }
      fail(`cannot listen on port ${port} (${variable}): ${error.message}`);
    };
    server.once("error", refused);
    server.listen(port, () => {
      server.off("error", refused);
      resolve();
    });
  });
}

/**
 * Runs `close` once on SIGTERM or SIGINT, then exits 0; if closing takes longer than the
 * deadline the process exits 1 anyway, so an orchestrator never waits forever.
 */
export function onShutdown(close: () => Promise<void>): void {
  let closing = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => {
      process.stderr.write(`error: shutdown after ${signal} took over ${SHUTDOWN_DEADLINE_MS} ms\n`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    timer.unref();
    try {
      await close();
      await stopEmbeddedPostgres();
      process.exit(0);
    } catch (error) {
      process.stderr.write(`error: shutdown failed: ${(error as Error).message}\n`);
      process.exit(1);
    }
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}
