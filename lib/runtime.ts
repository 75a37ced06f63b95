import { EnvError, env } from "./env";
import { resolveDatabaseUrl, stopEmbeddedPostgres } from "./database-url";
import { migrate } from "./migrate";
import { probePostgres, probeRedis, redactUrl } from "./health";
import { redisStartHint } from "./redis";

const SHUTDOWN_DEADLINE_MS = 9000;

/**
 * What every process does first: validate the environment, find (or start) PostgreSQL, and
 * make sure both Postgres and Redis answer; with `migrate`, also create the database if needed
 * and apply pending migrations. Any failure is one clear line and exit code 1.
 */
export async function boot(options: { migrate?: boolean } = {}): Promise<void> {
  try {
    env();
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

export function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
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
