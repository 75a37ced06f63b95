import { type SpawnSyncOptions, execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

// A private PostgreSQL primary and a streaming replica of it (pg_basebackup -R), on free local
// ports, for the read-replica tests: the test's own servers, so pausing the replica's replay
// or stopping it disturbs nobody else. The embedded PostgreSQL package ships no
// pg_basebackup, so the binaries come from a distribution's /usr/lib/postgresql/<major>/bin
// (or PG_BIN), the newest major that has all four tools. PostgreSQL refuses to run as root:
// then every tool runs as the postgres system user, who owns the servers' directory.

const TOOLS = ["initdb", "pg_ctl", "pg_basebackup", "postgres"];

function binDir(): string {
  const candidates = process.env.PG_BIN
    ? [process.env.PG_BIN]
    : existsSync("/usr/lib/postgresql")
      ? readdirSync("/usr/lib/postgresql")
          .filter((major) => /^\d+$/.test(major))
          .sort((a, b) => Number(b) - Number(a))
          .map((major) => `/usr/lib/postgresql/${major}/bin`)
      : [];
  const found = candidates.find((dir) => TOOLS.every((tool) => existsSync(path.join(dir, tool))));
  if (!found) {
    throw new Error(
      "the read-replica tests need initdb, pg_ctl, pg_basebackup and postgres: install a PostgreSQL server package (Debian: postgresql) or set PG_BIN",
    );
  }
  return found;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export type ReplicaPair = {
  primaryUrl: string;
  replicaUrl: string;
  /** Stops applying WAL on the replica (it keeps answering reads, from before the pause). */
  pauseReplay: () => Promise<void>;
  resumeReplay: () => Promise<void>;
  /** Resolves once the replica has replayed everything the primary had written when called. */
  waitForReplay: () => Promise<void>;
  /** Ends the replica's recovery: it becomes a server of its own, apart from the primary. */
  promoteReplica: () => void;
  /** Stops the replica only (the primary keeps running). */
  stopReplica: () => void;
  stop: () => Promise<void>;
};

async function one<T>(url: string, sql: string, values: unknown[] = []): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows[0] as T;
  } finally {
    await client.end();
  }
}

/**
 * Starts a primary (wal_level replica) with an empty `database`, and a hot-standby replica
 * streaming from it. `prepare` runs against the primary's database before the base backup
 * (migrations), so the replica starts with it.
 */
export async function startReplicaPair(database: string, prepare: (url: string) => Promise<void>): Promise<ReplicaPair> {
  const bin = binDir();
  const owner = postgresUser();
  const base = mkdtempSync(path.join(tmpdir(), "errorhub-replica-"));
  if (owner) chownSync(base, owner.uid, owner.gid);
  const run = (tool: string, args: string[]) => {
    const options: SpawnSyncOptions = { encoding: "utf8", ...owner, cwd: base, timeout: 120_000 };
    const result = spawnSync(path.join(bin, tool), args, options);
    if (result.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed: ${result.stderr}${result.stdout}`);
  };
  const primaryDir = path.join(base, "primary");
  const replicaDir = path.join(base, "replica");
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const serverConf = (port: number) =>
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${base}'`,
      "wal_level = replica",
      "max_wal_senders = 4",
      "shared_buffers = 32MB",
      // a test server: durability is not what is tested, speed on a shared machine is
      "fsync = off",
      "full_page_writes = off",
      "",
    ].join("\n");

  run("initdb", ["-D", primaryDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  appendFileSync(path.join(primaryDir, "postgresql.conf"), serverConf(primaryPort));
  run("pg_ctl", ["-D", primaryDir, "-l", path.join(base, "primary.log"), "-w", "start"]);
  const stopServer = (dir: string) => {
    if (existsSync(path.join(dir, "postmaster.pid"))) run("pg_ctl", ["-D", dir, "-m", "immediate", "-w", "stop"]);
  };
  try {
    const serverUrl = `postgresql://postgres@127.0.0.1:${primaryPort}/postgres?sslmode=disable`;
    await one(serverUrl, `create database "${database}"`);
    const primaryUrl = `postgresql://postgres@127.0.0.1:${primaryPort}/${database}?sslmode=disable`;
    await prepare(primaryUrl);

    run("pg_basebackup", ["-h", "127.0.0.1", "-p", String(primaryPort), "-U", "postgres", "-D", replicaDir, "-R", "-X", "stream", "-c", "fast"]);
    appendFileSync(path.join(replicaDir, "postgresql.conf"), `port = ${replicaPort}\nhot_standby = on\n`);
    run("pg_ctl", ["-D", replicaDir, "-l", path.join(base, "replica.log"), "-w", "start"]);
    const replicaUrl = `postgresql://postgres@127.0.0.1:${replicaPort}/${database}?sslmode=disable`;

    const waitFor = async (check: () => Promise<boolean>, what: string) => {
      const deadline = Date.now() + 30_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    return {
      primaryUrl,
      replicaUrl,
      pauseReplay: async () => {
        await one(replicaUrl, "select pg_wal_replay_pause()");
        await waitFor(
          async () => (await one<{ state: string }>(replicaUrl, "select pg_get_wal_replay_pause_state() as state")).state === "paused",
          "the replica's replay to pause",
        );
      },
      resumeReplay: async () => {
        await one(replicaUrl, "select pg_wal_replay_resume()");
      },
      waitForReplay: async () => {
        const { lsn } = await one<{ lsn: string }>(primaryUrl, "select pg_current_wal_lsn()::text as lsn");
        await waitFor(
          async () =>
            (await one<{ done: boolean }>(replicaUrl, "select pg_last_wal_replay_lsn() >= $1::pg_lsn as done", [lsn])).done,
          `the replica to replay up to ${lsn}`,
        );
      },
      promoteReplica: () => run("pg_ctl", ["-D", replicaDir, "-w", "promote"]),
      stopReplica: () => stopServer(replicaDir),
      stop: async () => {
        stopServer(replicaDir);
        stopServer(primaryDir);
        rmSync(base, { recursive: true, force: true });
      },
    };
  } catch (error) {
    stopServer(replicaDir);
    stopServer(primaryDir);
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
}
