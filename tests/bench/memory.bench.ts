/**
 * Memory benchmark (a script, not a vitest test):
 *
 *   npm run bench:memory -- [--small] [--root DIR] [--help for all options]
 *
 * Starts the platform with `npm start` from the checkout (or --root DIR, e.g. an export of an
 * older commit with its own build, to compare in one sitting) on a private DATA_DIR, free ports,
 * the embedded PostgreSQL on a free port (or --database-url: a fresh database on that server,
 * whose processes are then shared with everything else it serves) and a private redis-server
 * (AOF everysec, noeviction, as compose.yaml runs it; or --redis-url). Then, sampling every
 * process of npm start's tree, PostgreSQL's and Redis's every 250 ms (RSS, and PSS for the
 * totals, which counts pages shared between processes once):
 *
 * - start: from `npm start` until web, ingest and worker are up;
 * - idle: --idle-seconds of nothing after --settle-seconds;
 * - flood: bench:processing's small flood (--flood-n ~2.5 KB events over 100 issue shapes, 50
 *   connections) into the demo project, until every accepted event is counted in its issues;
 * - dashboard: --dashboard-requests GETs of the demo org's issues page with a session cookie,
 *   --dashboard-concurrency at a time, sorts and queries varied;
 * - peak: the highest of each figure over all phases.
 *
 * --small: the small-server settings (SMALL_SERVER=true) and a flood of --flood-seconds (60) rather
 * than a count, then the stack's peak against 700 MB and the conformance check: every accepted
 * event stored (events rows and issues' times_seen equal the 2xx answers). The stack's figure is
 * its PSS, what the machine holds: RSS summed over processes counts a shared page (PostgreSQL's
 * shared_buffers, node's own code) once for every process that maps it.
 *
 * Prints the table, PASS/FAIL against the issue's targets and one JSON line. Exit code 1 when a
 * check failed (an event lost, a non-2xx dashboard answer, the platform not starting).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { ROOT, dropDatabase, exec, newestSource } from "./build";
import { cleanups, log, mark, printRows, redact, runBench } from "./harness";
import { Load } from "./load";
import { MemoryCgroup } from "./memory-cgroup";
import { PhaseMax, ROLES, type Role, Sampler, allProcesses, roleOf, treeOf } from "./memory-procs";
import { buildShapedPool } from "./processing-payloads";
import { cpuSeconds, freePort, sleep } from "./procs";

const TARGETS = {
  launcherMb: 50,
  treeIdleMb: 450,
  workerIdleMb: 120,
  workerFloodMb: 300,
  ingestFloodMb: 120,
  webDashboardMb: 200,
  smallStackMb: 700,
};
const SHAPES = 100;
const COUNT_POLL_MS = 200;
const STALL_MS = 60_000;

const { values: opts } = parseArgs({
  options: {
    root: { type: "string", default: ROOT },
    small: { type: "boolean", default: false },
    "flood-n": { type: "string", default: "50000" },
    "flood-seconds": { type: "string" },
    connections: { type: "string", default: "50" },
    "dashboard-requests": { type: "string", default: "600" },
    "dashboard-concurrency": { type: "string", default: "4" },
    "settle-seconds": { type: "string", default: "30" },
    "idle-seconds": { type: "string", default: "15" },
    "database-url": { type: "string" },
    "redis-url": { type: "string" },
    env: { type: "string", multiple: true, default: [] },
    "memory-limit": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log(`usage: tsx tests/bench/memory.bench.ts [options]   (npm run bench:memory -- [options])
  --small                  small-server settings (SMALL_SERVER=true), a --flood-seconds flood, the whole
                           stack's peak against ${TARGETS.smallStackMb} MB and the no-event-lost check
  --root DIR               the checkout whose npm start is measured (default: this one); it needs its
                           build (.next and dist/workers), this checkout's dist/workers is rebuilt when stale
  --flood-n N              events of the flood (default 50000; ~2.5 KB each, 100 issue shapes)
  --flood-seconds S        the flood lasts S seconds rather than --flood-n events (--small: 60)
  --connections N          load generator connections (default 50)
  --dashboard-requests N   GETs of the issues page (default 600)
  --dashboard-concurrency N  of them at a time (default 4)
  --settle-seconds S       wait after start before the idle phase (default 30: the first scheduled
                           jobs have run, and the processes have settled as they stay when idle)
  --idle-seconds S         length of the idle phase (default 15)
  --database-url URL       PostgreSQL server to create the bench database on, instead of the embedded
                           one (its processes serve others too: measured, but shared)
  --redis-url URL          Redis to use instead of a private redis-server (not measured)
  --env K=V                extra environment variable for npm start (repeatable)
  --memory-limit MB        run the stack (npm start's tree, the embedded PostgreSQL, redis-server) in a
                           memory cgroup of MB, as on a server with that much: checks no process was
                           killed for memory (needs root and a writable cgroup, no swap)`);
  process.exit(0);
}

const count = (name: string, value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
};
const FLOOD_N = Math.round(count("flood-n", opts["flood-n"]));
const FLOOD_SECONDS = opts["flood-seconds"] ? count("flood-seconds", opts["flood-seconds"]) : opts.small ? 60 : undefined;
const CONNECTIONS = Math.round(count("connections", opts.connections));
const DASHBOARD_REQUESTS = Math.round(count("dashboard-requests", opts["dashboard-requests"]));
const DASHBOARD_CONCURRENCY = Math.round(count("dashboard-concurrency", opts["dashboard-concurrency"]));
const SETTLE_MS = count("settle-seconds", opts["settle-seconds"]) * 1000;
const IDLE_MS = count("idle-seconds", opts["idle-seconds"]) * 1000;
const CHECKOUT = path.resolve(opts.root);
const PREFIX = `mbench${process.pid}`;
const LIMIT_MB = opts["memory-limit"] ? count("memory-limit", opts["memory-limit"]) : undefined;
const cgroup = LIMIT_MB ? new MemoryCgroup(`errorhub-mbench-${process.pid}`, LIMIT_MB) : undefined;
if (cgroup) cleanups.push(async () => cgroup.remove());

/** The command as spawned: inside the --memory-limit cgroup when there is one. */
function contained(command: string, args: string[]): [string, string[]] {
  return cgroup ? cgroup.wrap(command, args) : [command, args];
}

type Platform = {
  npm: ChildProcess;
  output: () => string;
  web: string;
  ingest: string;
  ingestPort: number;
  databaseUrl: string;
  dataDir: string;
  pgPort: number;
};

type FloodFigures = {
  sent: number;
  accepted: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  seconds: number;
  e2eRate: number;
  stored: { events: number; timesSeen: number };
  lost: number;
};

async function main(): Promise<number> {
  log(
    `memory benchmark of ${CHECKOUT}${opts.small ? " with the small-server settings" : ""}; ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  );
  await ensureBuild();
  const redis = await startRedis();
  const platform = await launch(redis);
  const sampler = new Sampler(platform.npm.pid!, () => [redis.pid, ...externalPostgres()].filter((p) => p > 0));
  sampler.start();
  cgroup?.start();
  cleanups.push(async () => sampler.stop());
  const phases = new Map<string, PhaseMax>();
  const connections = new Map<string, Connections>();
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    phases.set(name, sampler.begin());
    const counter = name === "start" ? undefined : await countConnections(platform.databaseUrl);
    try {
      return await run();
    } finally {
      sampler.end();
      if (counter) connections.set(name, await counter.stop());
    }
  };
  await phase("start", () => waitUntilUp(platform));
  await sleep(SETTLE_MS);
  log(`idle for ${IDLE_MS / 1000} s`);
  await phase("idle", () => sleep(IDLE_MS));
  const login = JSON.parse(readFileSync(path.join(platform.dataDir, "demo-login.json"), "utf8")) as { email: string; dsn: string };
  const flood = await phase("flood", () => runFlood(platform, login.dsn));
  const sdk = await runSdk(platform, login.dsn);
  const dashboard = await phase("dashboard", () => runDashboard(platform, login.email));
  sampler.stop();

  const peak = new PhaseMax();
  for (const phase of phases.values()) peak.merge(phase);
  phases.set("peak", peak);
  connections.set("peak", {
    all: Math.max(...[...connections.values()].map((c) => c.all)),
    active: Math.max(...[...connections.values()].map((c) => c.active)),
  });
  return report(phases, connections, flood, sdk, dashboard);
}

type Connections = { all: number; active: number };

/**
 * The most connections the platform held to its database at once (polled every 500 ms, this
 * poller's own left out), and the most of them running a statement: what the pools use, which
 * PostgreSQL's max_connections must cover.
 */
async function countConnections(databaseUrl: string): Promise<{ stop: () => Promise<Connections> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const most: Connections = { all: 0, active: 0 };
  const poll = async () => {
    const row = (
      await client.query<{ all: number; active: number }>(
        `select count(*)::int as all, (count(*) filter (where state <> 'idle'))::int as active
         from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
      )
    ).rows[0]!;
    most.all = Math.max(most.all, row.all);
    most.active = Math.max(most.active, row.active);
  };
  let polling = poll();
  const timer = setInterval(() => {
    polling = polling.then(poll, poll);
  }, 500);
  return {
    stop: async () => {
      clearInterval(timer);
      await polling.catch(() => undefined);
      await client.end();
      return most;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The platform and what it runs on

/** The checkout's build must exist; this checkout's dist/workers is rebuilt when older than its sources. */
async function ensureBuild(): Promise<void> {
  if (!existsSync(path.join(CHECKOUT, ".next/BUILD_ID")))
    throw new Error(`${CHECKOUT} has no .next build: run \`npm run build\` there first (npm start would build it inside the measurement)`);
  const bundles = ["web", "ingest", "worker", "admin", "sourcemap-thread"].map((b) => path.join(CHECKOUT, "dist/workers", `${b}.js`));
  const oldest = Math.min(...bundles.map((f) => (existsSync(f) ? statSync(f).mtimeMs : Number.NEGATIVE_INFINITY)));
  if (CHECKOUT === ROOT && newestSource() > oldest) {
    log("dist/workers is missing or older than lib/ or workers/: npm run build:workers");
    await exec("npm", ["run", "--silent", "build:workers"]);
  } else if (!Number.isFinite(oldest)) {
    throw new Error(`${CHECKOUT}/dist/workers is incomplete: run \`npm run build:workers\` there first`);
  }
}

async function startRedis(): Promise<{ url: string; pid: number }> {
  if (opts["redis-url"]) return { url: opts["redis-url"], pid: 0 };
  const dir = mkdtempSync(path.join(os.tmpdir(), `errorhub-mbench-redis-${process.pid}-`));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const server = spawn(
    ...contained("redis-server", [
      ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""],
      ...["--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction"],
    ]),
    { stdio: "ignore" },
  );
  const exited = new Promise((resolve) => server.on("exit", resolve));
  server.on("error", () => {});
  cleanups.push(async () => {
    server.kill("SIGTERM");
    await exited;
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => {});
    const answered = await client.connect().then(
      () => client.ping(),
      () => undefined,
    );
    client.disconnect();
    if (answered === "PONG") break;
    if (tries > 100 || server.exitCode !== null) throw new Error("redis-server did not start (is it installed?)");
    await sleep(50);
  }
  log(`redis: private redis-server, pid ${server.pid}, ${url} (AOF everysec, noeviction)`);
  return { url, pid: server.pid! };
}

/** With --database-url, the processes of that server (postmaster and its children) count as PostgreSQL. */
function externalPostgres(): number[] {
  return externalPostmaster ? [externalPostmaster] : [];
}
let externalPostmaster: number | undefined;

/** `npm start` in the checkout, on its own process group, with everything private to this run. */
async function launch(redis: { url: string }): Promise<Platform> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `errorhub-mbench-${process.pid}-`));
  // The postgres user runs the embedded cluster from here: it must be able to enter.
  chmodSync(dataDir, 0o755);
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const [port, ingestPort, pgPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  let databaseUrl = `postgresql://postgres:postgres@127.0.0.1:${pgPort}/errorhub?sslmode=disable`;
  if (opts["database-url"]) {
    const server = new URL(opts["database-url"]);
    const name = `errorhub_mbench_${process.pid}`;
    const admin = new pg.Client({ connectionString: server.href });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    const dir = (await admin.query<{ d: string }>("select current_setting('data_directory') as d")).rows[0]!.d;
    await admin.end();
    externalPostmaster = Number(readFileSync(path.join(dir, "postmaster.pid"), "utf8").split("\n")[0]);
    cleanups.push(() => dropDatabase(server.href, name));
    server.pathname = `/${name}`;
    databaseUrl = server.href;
  }
  const web = `http://127.0.0.1:${port}`;
  const ingest = `http://127.0.0.1:${ingestPort}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? os.tmpdir(),
    DATABASE_URL: opts["database-url"] ? databaseUrl : "",
    EMBEDDED_POSTGRES_PORT: String(pgPort),
    REDIS_URL: redis.url,
    REDIS_PREFIX: PREFIX,
    DATA_DIR: dataDir,
    PORT: String(port),
    INGEST_PORT: String(ingestPort),
    WORKER_METRICS_PORT: String(metricsPort),
    APP_URL: web,
    INGEST_URL: ingest,
    AUTH_SECRET: randomBytes(32).toString("hex"),
    DEMO_ACCOUNT: "on",
    LOG_LEVEL: "info",
    INGEST_LOG_SAMPLE_RATE: "0",
    ...(opts.small ? { SMALL_SERVER: "true" } : {}),
    ...pairs(opts.env),
  };
  const npm = spawn(...contained("npm", ["start"]), { cwd: CHECKOUT, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-256 * 1024);
  };
  npm.stdout!.on("data", collect);
  npm.stderr!.on("data", collect);
  const exited = new Promise<void>((resolve) => npm.on("exit", () => resolve()));
  cleanups.push(async () => {
    if (npm.exitCode === null && npm.signalCode === null) {
      npm.kill("SIGTERM");
      const late = await Promise.race([exited.then(() => false), sleep(20_000).then(() => true)]);
      if (late) log("npm start did not stop within 20 s of SIGTERM: SIGKILL to its process group");
      if (late) process.kill(-npm.pid!, "SIGKILL");
    }
    // What stopped last must have left nothing running on its data folder.
    const lingering = /data in (\S+)\/postgres\b/.exec(output)?.[1];
    if (lingering && !lingering.startsWith(dataDir)) rmSync(lingering, { recursive: true, force: true });
  });
  return { npm, output: () => output, web, ingest, ingestPort, databaseUrl, dataDir, pgPort };
}

/** Waits until web and ingest answer their health checks and the worker said it started. */
async function waitUntilUp(platform: Platform): Promise<void> {
  const t0 = performance.now();
  const deadline = Date.now() + 300_000;
  const healthy = async (url: string) => (await fetch(`${url}/_health/`).catch(() => undefined))?.status === 200;
  while (!(/"worker started"/.test(platform.output()) && (await healthy(platform.web)) && (await healthy(platform.ingest)))) {
    const tail = () => platform.output().slice(-4000);
    if (platform.npm.exitCode !== null) throw new Error(`npm start exited (${platform.npm.exitCode}):\n${tail()}`);
    if (Date.now() > deadline) throw new Error(`npm start not up after 300 s:\n${tail()}`);
    await sleep(250);
  }
  log(
    `npm start: pid ${platform.npm.pid}, up in ${((performance.now() - t0) / 1000).toFixed(1)} s; web ${platform.web}, ingest ${platform.ingest}, ` +
      `PostgreSQL ${opts["database-url"] ? `${redact(new URL(platform.databaseUrl))} (shared server)` : `embedded on port ${platform.pgPort}`}`,
  );
}

// ---------------------------------------------------------------------------------------------
// The load

async function runFlood(platform: Platform, dsn: string): Promise<FloodFigures> {
  const { username: publicKey, pathname } = new URL(dsn);
  const projectId = Number(pathname.slice(1));
  const pool = buildShapedPool(Math.max(2 * CONNECTIONS, 20_000), SHAPES, "small", dsn, publicKey);
  const load = new Load(
    pool.entries,
    `/api/${projectId}/envelope/?sentry_key=${publicKey}&sentry_version=7&sentry_client=sentry.javascript.node%2F11.12.0`,
    CONNECTIONS,
  );
  log(
    `flood: ${FLOOD_SECONDS ? `${FLOOD_SECONDS} s` : `${FLOOD_N} events`} of ${pool.bodyBytes.avg} bytes over ${SHAPES} shapes, ${CONNECTIONS} connections, project ${projectId}`,
  );
  const pgc = new pg.Client({ connectionString: platform.databaseUrl });
  await pgc.connect();
  try {
    const t0 = performance.now();
    const result = await load.run(platform.ingest, FLOOD_SECONDS ? { duration: FLOOD_SECONDS } : { amount: FLOOD_N });
    let counted = 0;
    let changed = performance.now();
    for (;;) {
      const row = await pgc.query<{ n: string }>("select coalesce(sum(times_seen), 0)::int8 as n from issues where project_id = $1", [projectId]);
      const now = Number(row.rows[0]!.n);
      if (now !== counted) changed = performance.now();
      counted = now;
      if (counted >= result.ok) break;
      if (performance.now() - changed > STALL_MS) {
        log(`flood: nothing counted for ${STALL_MS / 1000} s (${counted} of ${result.ok})`);
        break;
      }
      await sleep(COUNT_POLL_MS);
    }
    const seconds = (performance.now() - t0) / 1000;
    const stored = (
      await pgc.query<{ events: string; times_seen: string }>(
        `select (select count(*) from events where project_id = $1)::int8 as events,
                (select coalesce(sum(times_seen), 0) from issues where project_id = $1)::int8 as times_seen`,
        [projectId],
      )
    ).rows[0]!;
    const figures: FloodFigures = {
      sent: result.sent,
      accepted: result.ok,
      non2xx: result.non2xx,
      statusCodes: result.statusCodes,
      seconds,
      e2eRate: result.ok / seconds,
      stored: { events: Number(stored.events), timesSeen: Number(stored.times_seen) },
      lost: result.ok - Number(stored.events),
    };
    log(
      `flood: ${figures.accepted} of ${figures.sent} accepted (${JSON.stringify(figures.statusCodes)}), all counted after ${seconds.toFixed(1)} s: ${Math.round(figures.e2eRate)} events/s end to end; stored ${figures.stored.events} events, times_seen ${figures.stored.timesSeen}`,
    );
    return figures;
  } finally {
    await pgc.end();
  }
}

type SdkFigures = { stored: boolean; seconds: number; detail: string };

/**
 * The official @sentry/node SDK in its own process (tests/support/sentry-client.mjs: an
 * exception, a message and a session) against the running stack, after the flood: both events
 * must become rows of the project and the session a count.
 */
async function runSdk(platform: Platform, dsn: string): Promise<SdkFigures> {
  const t0 = performance.now();
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", SENTRY_DSN: dsn };
  const child = spawn(process.execPath, ["tests/support/sentry-client.mjs"], {
    cwd: ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const ids = [/exception ([0-9a-f]{32})/.exec(output)?.[1], /message ([0-9a-f]{32})/.exec(output)?.[1]];
  if (code !== 0 || !output.includes("flushed true") || ids.some((id) => !id)) {
    return { stored: false, seconds: 0, detail: `the SDK did not send (exit ${code}): ${output.trim().slice(-300)}` };
  }
  const { pathname } = new URL(dsn);
  const pgc = new pg.Client({ connectionString: platform.databaseUrl });
  await pgc.connect();
  try {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
      const row = (
        await pgc.query<{ events: number; sessions: number }>(
          `select (select count(*) from events where project_id = $1 and event_id = any($2))::int as events,
                  (select coalesce(sum(started), 0) from session_counts where project_id = $1 and release = 'sdk-test@1.0.0')::int as sessions`,
          [Number(pathname.slice(1)), ids],
        )
      ).rows[0]!;
      if (row.events === 2 && row.sessions > 0) {
        const seconds = (performance.now() - t0) / 1000;
        log(`sdk: @sentry/node's exception, message and session stored ${seconds.toFixed(1)} s after it started`);
        return { stored: true, seconds, detail: "exception, message and session stored" };
      }
    }
    return { stored: false, seconds: 60, detail: "not all of the SDK's events and session were stored within 60 s" };
  } finally {
    await pgc.end();
  }
}

type DashboardFigures = {
  requests: number;
  non200: number;
  emptyPages: number;
  seconds: number;
  p50Ms: number;
  p95Ms: number;
  /** CPU the web process spent per page (its heap settings trade memory for this) */
  webCpuMsPerPage: number | null;
};

async function runDashboard(platform: Platform, email: string): Promise<DashboardFigures> {
  // The application's own session code, on the platform's database.
  Object.assign(process.env, { DATABASE_URL: platform.databaseUrl, DATA_DIR: platform.dataDir, LOG_LEVEL: "warn" });
  const { createSession } = await import("../../lib/auth/sessions");
  const { closeDb } = await import("../../lib/db");
  const pgc = new pg.Client({ connectionString: platform.databaseUrl });
  await pgc.connect();
  const { id: userId, slug } = (
    await pgc.query<{ id: number; slug: string }>(
      "select u.id, o.slug from users u join memberships m on m.user_id = u.id join organizations o on o.id = m.org_id where u.email = $1",
      [email],
    )
  ).rows[0]!;
  await pgc.end();
  const { token } = await createSession(userId);
  await closeDb();
  const pages = ["", "?sort=freq", "?sort=new", "?query=is%3Aunresolved", "?query=TypeError", "?sort=date&query=level%3Aerror"];
  log(`dashboard: ${DASHBOARD_REQUESTS} GETs of /${slug}/issues (${pages.length} variants), ${DASHBOARD_CONCURRENCY} at a time`);
  const timings: number[] = [];
  let non200 = 0;
  let emptyPages = 0;
  let next = 0;
  const webPids = treeOf(platform.npm.pid!, allProcesses())
    .filter((p) => roleOf(p, platform.npm.pid!) === "web")
    .map((p) => p.pid);
  const webCpu = () => webPids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
  const cpuBefore = webCpu();
  const t0 = performance.now();
  const client = async () => {
    while (next < DASHBOARD_REQUESTS) {
      const page = pages[next++ % pages.length]!;
      const began = performance.now();
      const response = await fetch(`${platform.web}/${slug}/issues${page}`, { headers: { cookie: `errorhub_session=${token}` }, redirect: "manual" });
      const body = await response.text();
      timings.push(performance.now() - began);
      if (response.status !== 200) non200++;
      else if (!body.includes('data-testid="issue-row"') && page === "") emptyPages++;
    }
  };
  await Promise.all(Array.from({ length: DASHBOARD_CONCURRENCY }, client));
  timings.sort((a, b) => a - b);
  const figures = {
    requests: timings.length,
    non200,
    emptyPages,
    seconds: (performance.now() - t0) / 1000,
    p50Ms: timings[Math.floor(timings.length / 2)] ?? 0,
    p95Ms: timings[Math.floor(timings.length * 0.95)] ?? 0,
    webCpuMsPerPage: webPids.length > 0 ? ((webCpu() - cpuBefore) * 1000) / timings.length : null,
  };
  log(
    `dashboard: ${figures.requests} in ${figures.seconds.toFixed(1)} s, p50 ${figures.p50Ms.toFixed(0)} ms, p95 ${figures.p95Ms.toFixed(0)} ms, web CPU ${figures.webCpuMsPerPage?.toFixed(1) ?? "-"} ms a page, non-200 ${non200}, issue pages without rows ${emptyPages}`,
  );
  return figures;
}

// ---------------------------------------------------------------------------------------------
// Output

function report(
  phases: Map<string, PhaseMax>,
  connections: Map<string, Connections>,
  flood: FloodFigures,
  sdk: SdkFigures,
  dashboard: DashboardFigures,
): number {
  const names = [...phases.keys()];
  const mb = (phase: string, role: Role) => phases.get(phase)!.byRole.get(role)?.rss;
  const fmt = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(0));
  const steady = (role: Role) => Math.max(...["idle", "flood", "dashboard"].map((p) => mb(p, role) ?? 0));
  const targetOf: Partial<Record<Role, string>> = {
    launcher: `< ${TARGETS.launcherMb} (running)`,
    web: `< ${TARGETS.webDashboardMb} (dashboard)`,
    ingest: `< ${TARGETS.ingestFloodMb} (flood)`,
    worker: `< ${TARGETS.workerIdleMb} idle, < ${TARGETS.workerFloodMb} flood`,
  };
  console.log("");
  console.log(`RSS in MB, the highest sample of each phase (every 250 ms); ${opts.small ? "small-server settings" : "default settings"}`);
  const rows: string[][] = [["process", ...names, "target"]];
  for (const role of ROLES) {
    if (!names.some((n) => mb(n, role) !== undefined)) continue;
    const processes = Math.max(...names.map((n) => phases.get(n)!.byRole.get(role)?.count ?? 0));
    const label = role === "PostgreSQL" && opts["database-url"] ? "PostgreSQL (shared server)" : role;
    rows.push([processes > 1 ? `${label} (${processes})` : label, ...names.map((n) => fmt(mb(n, role))), targetOf[role] ?? ""]);
  }
  rows.push(["npm start tree, without PostgreSQL", ...names.map((n) => fmt(phases.get(n)!.treeRss)), `< ${TARGETS.treeIdleMb} idle`]);
  rows.push(["whole stack (RSS summed)", ...names.map((n) => fmt(phases.get(n)!.stackRss)), ""]);
  rows.push(["whole stack (PSS: shared pages once)", ...names.map((n) => fmt(phases.get(n)!.stackPss)), opts.small ? `< ${TARGETS.smallStackMb} peak` : ""]);
  rows.push(["PostgreSQL alone (PSS)", ...names.map((n) => fmt(phases.get(n)!.byRole.get("PostgreSQL")?.pss)), ""]);
  const conns = (n: string) => connections.get(n);
  rows.push(["PostgreSQL connections (active)", ...names.map((n) => (conns(n) ? `${conns(n)!.all} (${conns(n)!.active})` : "-")), ""]);
  printRows(rows);

  const pass: Record<string, boolean> = {
    launcher: steady("launcher") < TARGETS.launcherMb,
    tree_idle: phases.get("idle")!.treeRss < TARGETS.treeIdleMb,
    worker_idle: (mb("idle", "worker") ?? 0) < TARGETS.workerIdleMb,
    worker_flood: (mb("flood", "worker") ?? 0) < TARGETS.workerFloodMb,
    ingest_flood: (mb("flood", "ingest") ?? 0) < TARGETS.ingestFloodMb,
    web_dashboard: (mb("dashboard", "web") ?? 0) + (mb("dashboard", "next-server") ?? 0) < TARGETS.webDashboardMb,
  };
  // The stack's memory is its PSS: summed RSS counts each shared page once per process that
  // maps it (PostgreSQL's shared_buffers in every backend, node's own code in every node).
  if (opts.small) pass.small_stack_peak = phases.get("peak")!.stackPss < TARGETS.smallStackMb;
  const limited = cgroup?.figures();
  if (limited) {
    console.log("");
    console.log(
      `memory cgroup of ${limited.limitMb} MB around the whole stack: peak charge ${limited.peakMb.toFixed(0)} MB ` +
        `(anonymous memory at most ${limited.anonPeakMb.toFixed(0)} MB, the rest page cache); processes killed for memory: ${limited.oomKills}`,
    );
  }
  const checks = {
    ...(limited ? { no_oom_kill: limited.oomKills === 0 } : {}),
    no_event_lost: flood.lost === 0 && flood.stored.timesSeen === flood.accepted,
    sdk_events_stored: sdk.stored,
    dashboard_200: dashboard.non200 === 0 && dashboard.emptyPages === 0,
  };
  console.log("");
  printRows([["target", "result"], ...Object.entries(pass).map(([k, v]) => [k, mark(v)]), ...Object.entries(checks).map(([k, v]) => [`check ${k}`, mark(v)])]);
  console.log("");
  console.log(
    JSON.stringify({
      bench: "memory",
      at: new Date().toISOString(),
      checkout: CHECKOUT,
      small: opts.small,
      postgres: opts["database-url"] ? "shared server" : "embedded",
      phases: Object.fromEntries(
        names.map((n) => {
          const p = phases.get(n)!;
          return [
            n,
            {
              ...Object.fromEntries([...p.byRole].map(([role, v]) => [role, Math.round(v.rss)])),
              tree: Math.round(p.treeRss),
              stack_rss: Math.round(p.stackRss),
              stack_pss: Math.round(p.stackPss),
            },
          ];
        }),
      ),
      connections: Object.fromEntries(connections),
      flood: { ...flood, e2eRate: Math.round(flood.e2eRate), seconds: Number(flood.seconds.toFixed(1)) },
      sdk,
      dashboard,
      ...(limited ? { cgroup: limited } : {}),
      pass,
      checks,
    }),
  );
  return Object.values(checks).every(Boolean) ? 0 : 1;
}

function pairs(list: string[]): Record<string, string> {
  return Object.fromEntries(
    list.map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 1) throw new Error(`--env wants KEY=VALUE, got ${pair}`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

await runBench(main);
