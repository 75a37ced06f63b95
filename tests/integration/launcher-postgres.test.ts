import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { send } from "../support/http";
import { ROOT, type Running, descendants, freePort, startPlatform, waitForHttp } from "../support/processes";

// `npm start` on the embedded PostgreSQL: the launcher is a thin supervisor (no tsx, no npm
// between it and the services, which run with their start:* scripts' flags), PostgreSQL is its
// child too (with the small-server settings here) and is started again when it dies, and
// SIGTERM stops the services, then PostgreSQL.

const dataDir = mkdtempSync(path.join(tmpdir(), "errorhub-launcher-pg-"));
chmodSync(dataDir, 0o755); // the postgres user runs the cluster from in here
let platform: Running | undefined;
afterAll(async () => {
  await platform?.stop("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function poll<T>(what: () => Promise<T | undefined>): Promise<T | undefined> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const found = await what().catch(() => undefined);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}

async function settings(databaseUrl: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = await client.query<{ name: string; setting: string }>(
      "select name, current_setting(name) as setting from unnest(array['shared_buffers', 'max_connections', 'max_parallel_workers']) as name",
    );
    return Object.fromEntries(rows.rows.map((r) => [r.name, r.setting]));
  } finally {
    await client.end();
  }
}

/** Sends one error event with the DSN and waits until the worker stored it in PostgreSQL. */
async function stored(dsn: string, databaseUrl: string): Promise<boolean> {
  const { username: key, host, pathname } = new URL(dsn);
  const event = errorEvent();
  const sent = await poll(async () => {
    const res = await send(`http://${host}/api${pathname}/envelope/?sentry_key=${key}`, { body: eventEnvelope(event) });
    return res.status === 200 ? true : undefined;
  });
  if (!sent) return false;
  return (
    (await poll(async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const found = await client.query("select 1 from events where event_id = $1", [event.event_id]);
        return found.rowCount === 1 ? true : undefined;
      } finally {
        await client.end();
      }
    })) === true
  );
}

describe("npm start's launcher", { timeout: 240_000 }, () => {
  it("runs services and the embedded PostgreSQL itself, restarts a killed PostgreSQL and stops it last", async () => {
    const pgPort = await freePort();
    const databaseUrl = `postgresql://postgres:postgres@127.0.0.1:${pgPort}/errorhub`;
    // The small-server settings: the launcher passes them to the server it runs, restarts included.
    const started = await startPlatform({
      DATABASE_URL: "",
      DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(pgPort),
      DEMO_ACCOUNT: "on",
      SMALL_SERVER: "true",
    });
    platform = started.process;
    const dsn = (await platform.waitFor(/DSN\s+(\S+)/))[1]!;
    await waitForHttp(`${started.ingest}/_health/`);
    expect(await stored(dsn, databaseUrl)).toBe(true);
    expect(await settings(databaseUrl)).toEqual({ shared_buffers: "64MB", max_connections: "40", max_parallel_workers: "0" });

    const tree = descendants(platform.child.pid!);
    const launcher = tree.find((p) => /\bworkers\/start\.mjs$/.test(p.args))!;
    expect(launcher.args).not.toMatch(/tsx|--import/);
    const postmasterOf = () => descendants(launcher.pid).find((p) => /\/postgres -D /.test(p.args));
    const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
    for (const service of ["web", "ingest", "worker"]) {
      const child = descendants(launcher.pid).find((p) => p.args.endsWith(`dist/workers/${service}.js`));
      expect(child, service).toBeDefined();
      const [, assignments, command] = /^((?:[A-Z_]+=\S+ )*)(exec node .*)$/.exec(scripts[`start:${service}`]!)!;
      expect(child!.args.replace(/^\S*node /, "exec node "), service).toBe(command);
      const environ = readFileSync(`/proc/${child!.pid}/environ`, "utf8").split("\0");
      expect(environ, service).toEqual(expect.arrayContaining(assignments!.split(" ").filter(Boolean)));
    }
    expect(tree.filter((p) => /\bnpm run\b|tsx/.test(p.args))).toEqual([]);
    const postmaster = postmasterOf()!;
    expect(postmaster).toBeDefined();

    process.kill(postmaster.pid, "SIGKILL");
    await platform.waitFor(/error: PostgreSQL exited \(SIGKILL\); restarting it in 1 s/);
    const restarted = (await poll(async () => postmasterOf()))!;
    expect(restarted.pid).not.toBe(postmaster.pid);
    // The services carry on with the new server: an event sent now is stored.
    expect(await stored(dsn, databaseUrl)).toBe(true);
    expect((await settings(databaseUrl)).shared_buffers).toBe("64MB");

    const stopped = await platform.stop("SIGTERM");
    expect(stopped.code).toBe(0);
    expect(alive(restarted.pid)).toBe(false);
    expect(platform.output()).toMatch(/worker stopped/);
  });
});
