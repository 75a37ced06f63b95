/**
 * End-to-end processing benchmark (a script, not a vitest test):
 *
 *   npm run bench:processing -- [--scenarios small,large,fairness] [--help for all options]
 *
 * Everything runs on this machine: the ingest (dist/workers/ingest.js, as `npm run
 * start:ingest` runs it) and the worker (dist/workers/worker.js), both rebuilt when older than
 * lib/ or workers/, PostgreSQL, Redis, and the load generator in this process
 * (tests/bench/load.ts: 50 keep-alive connections, no pipelining, pre-built requests each
 * stamped with an event id never sent before). Scenarios, each on a tenant (org + project) of
 * its own:
 *
 * - small: N (50000) distinct ~2.5 KB error events over 100 issue shapes, sent as fast as the
 *   load generator can; the clock runs from the first send until the sum of the project's
 *   issues.times_seen reaches the number of accepted events (polled every 100 ms). Reports the
 *   ingest rate (sends/s), the end-to-end rate (N / total time), and checks exactly 100 issues,
 *   N events rows and no non-2xx answer. Target >= 5000 events/s end to end.
 * - large: the same with N (5000) events of ~50 KB. Target >= 500 events/s.
 * - fairness: tenant A floods N (100000) ~2.5 KB events while, every 0.5 s, a probe sends one
 *   fresh event for tenant B (another org) and times until it is a row of B's events (polled
 *   every 20 ms for all probes in flight, an upper bound: the time the poll answered). Probes
 *   run from A's first send until A's flood is counted (at least 20). Target p99 < 2 s.
 *
 * - alerts (not in the default list): pairs of small floods, one on a project without rules
 *   and one on a project with three (alerts-scenario.ts), alternating in order; during every
 *   flood, probes of another project (a new issue each, a first-seen webhook rule) time an
 *   event's 200 until its webhook reaches a receiver in this process. Reports p50/p95 of that
 *   latency during floods without and with rules (target p95 < 2 s without: the flood of
 *   bench:processing as it is) and the median ratio of end-to-end rates with rules / without
 *   (target >= 0.95); checks one webhook and one email per issue of the busy project.
 *
 * A warm-up tenant gets a few thousand events first (JIT, connection pools; --warmup 0 skips).
 * Per scenario: a table with times, rates, checks, the longest backlog (XLEN summed over the project's lane streams),
 * CPU of worker, ingest, PostgreSQL (all its processes), Redis and the load generator,
 * worker RSS, and the machine's speed just before and after (machineSpeedMs in procs.ts: the
 * same code's rate moves by tens of percent from minute to minute here); then PASS/FAIL against the targets and one JSON line with every figure. Exit code
 * 1 when a check failed (non-2xx, wrong counts, a scenario that never completed); targets
 * missed alone exit 0.
 *
 * Needs PostgreSQL (default postgresql://postgres@127.0.0.1:5432, --pg-url) and Redis
 * (default redis://127.0.0.1:6379, --redis-url). Uses a fresh database errorhub_pbench_<pid>
 * and the Redis prefix pbench<pid> (streams, BullMQ queues), both removed at the end; every
 * child is stopped by PID, also on error or Ctrl-C.
 *
 * Profiling the worker: --cpu-prof builds source-mapped bundles into a temp dir, runs the
 * worker under `node --cpu-prof` and prints the command summarising the profile
 * (tests/bench/cpuprofile-top.ts). --worker-script / --ingest-script run other bundles (e.g.
 * a patched copy in /tmp, with a node_modules link next to it).
 *
 * More processes: --ingest-processes N runs the ingest under workers/cluster.mjs (N copies
 * sharing the port, as npm start does with INGEST_PROCESSES=N) and --worker-processes N runs N
 * workers (WORKER_PROCESSES=N); their CPU and RSS figures are the sums over the processes,
 * the cluster primary included.
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { migrate } from "../../lib/migrate";
import { ROOT, buildBundles, deleteKeys, dropDatabase, laneStreamKeys, newestSource, productionFlags } from "./build";
import { Load, type LoadResult } from "./load";
import { buildShapedPool, probeEnvelope } from "./processing-payloads";
import {
  type Child,
  cpuSeconds,
  freePort,
  machineBusySeconds,
  machineSpeedMs,
  rssMb,
  runningChildren,
  sleep,
  startNode,
  stopChild,
} from "./procs";
import { cleanups, log, mark, percentile, printRows, redact, runBench } from "./harness";
import { AlertReceiver, SmtpSink } from "./alert-probes";
import { type AlertsResult, alertsJson, printAlerts, runAlertPairs } from "./alerts-scenario";

const DIST = path.join(ROOT, "dist/workers");
const PRODUCTION_INGEST_FLAGS = productionFlags("ingest");
const PRODUCTION_WORKER_FLAGS = productionFlags("worker");
const TARGETS = { smallRate: 5000, largeRate: 500, fairnessP99Ms: 2000, alertP95Ms: 2000, alertRateRatio: 0.95 };
const COUNT_POLL_MS = 100;
const PROBE_POLL_MS = 20;
const SAMPLE_MS = 200;
const PROGRESS_EVERY_MS = 5000;
/** Above this much CPU used by processes outside the bench, a scenario is flagged as noisy. */
const NOISY_OTHER_CPU_PCT = 30;
const SCENARIOS = ["small", "large", "fairness", "alerts"] as const;
const DEFAULT_SCENARIOS = ["small", "large", "fairness"];
const PROFILE_DIR = path.join(os.tmpdir(), `errorhub-pbench-prof-${process.pid}`);

const { values: opts } = parseArgs({
  options: {
    scenarios: { type: "string", default: DEFAULT_SCENARIOS.join(",") },
    "alert-pairs": { type: "string", default: "4" },
    "alert-rules": { type: "string", default: "email,webhook,slack" },
    "small-n": { type: "string", default: "50000" },
    "large-n": { type: "string", default: "5000" },
    "flood-n": { type: "string", default: "100000" },
    "flood-size": { type: "string", default: "small" },
    shapes: { type: "string", default: "100" },
    connections: { type: "string", default: "50" },
    "probe-interval": { type: "string", default: "500" },
    "min-probes": { type: "string", default: "20" },
    "probe-timeout": { type: "string", default: "30" },
    "stall-timeout": { type: "string", default: "60" },
    warmup: { type: "string", default: "3000" },
    "skip-build": { type: "boolean", default: false },
    "hold-worker": { type: "boolean", default: false },
    "cpu-prof": { type: "boolean", default: false },
    "pg-log-statements": { type: "boolean", default: false },
    "db-sql": { type: "string", multiple: true, default: [] },
    "pg-log-file": { type: "string", default: "/var/log/postgresql/postgresql-15-main.log" },
    "ingest-processes": { type: "string", default: "1" },
    "worker-processes": { type: "string", default: "1" },
    "worker-script": { type: "string" },
    "ingest-script": { type: "string" },
    "worker-flags": { type: "string", default: PRODUCTION_WORKER_FLAGS },
    "ingest-flags": { type: "string", default: PRODUCTION_INGEST_FLAGS },
    "worker-env": { type: "string", multiple: true, default: [] },
    "ingest-env": { type: "string", multiple: true, default: [] },
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log(`usage: tsx tests/bench/processing.bench.ts [options]   (npm run bench:processing -- [options])
  --scenarios LIST     comma-separated, any of ${SCENARIOS.join(",")} (default: ${DEFAULT_SCENARIOS.join(",")})
  --small-n N          events in the small scenario (default 50000; ~2.5 KB each)
  --large-n N          events in the large scenario (default 5000; ~50 KB each)
  --flood-n N          tenant A's events in the fairness scenario (default 100000)
  --flood-size S       small (~2.5 KB, default) or large (~50 KB): tenant A's event size
  --shapes N           issue shapes the events spread over (default 100)
  --connections N      load generator connections (default 50)
  --alert-pairs N      alerts: pairs of small floods, one on a project without rules and one on a
                       project with three (email on new issues, webhook on every error, Slack on
                       100 events a minute), in alternating order, while probes of another
                       project time acceptance to webhook delivery (default 4)
  --alert-rules LIST   alerts: which of the busy project's rules it gets (default email,webhook,slack)
  --probe-interval MS  fairness and alerts: one probe every MS (default 500)
  --min-probes N       fairness: probe at least this many times (default 20)
  --probe-timeout S    fairness: a probe not visible after S seconds counts as lost (default 30)
  --stall-timeout S    give a scenario up when nothing more is counted for S seconds (default 60)
  --warmup N           events sent to a warm-up tenant before the scenarios (default 3000, 0 = none)
  --hold-worker        small/large: stop the worker (SIGSTOP) while sending and let it go once all
                       is sent, so the drain runs alone and its CPU per 1,000 events (worker and
                       Postgres) is measured without ingest and the load generator competing;
                       the end-to-end rate of such a run is not the target's figure
  --skip-build         use dist/workers/{ingest,worker}.js as they are, even if older than the sources
  --pg-log-statements  time every statement server-side: sets log_min_duration_statement = 0 (and
                       log_parameter_max_length = 0) on the bench database only, then sums the
                       durations logged for it in --pg-log-file (needs superuser and a readable log)
  --db-sql SQL         run this SQL on the bench database after migrating (repeatable): to measure
                       a candidate schema or setting change, e.g. --db-sql "alter table events
                       alter column payload set compression lz4"
  --pg-log-file F      PostgreSQL's server log (default /var/log/postgresql/postgresql-15-main.log)
  --cpu-prof           run the worker under node --cpu-prof (source-mapped build in a temp dir);
                       summarise with: tsx tests/bench/cpuprofile-top.ts <file>
  --ingest-processes N run N ingest processes sharing the port under workers/cluster.mjs, as npm
                       start does with INGEST_PROCESSES=N (default 1: the ingest alone)
  --worker-processes N run N worker processes, as WORKER_PROCESSES=N (default 1)
  --worker-script F    run this worker entry instead (e.g. a patched bundle outside the project;
                       packages resolve from a node_modules next to it)
  --ingest-script F    the same for the ingest
  --worker-flags=F     node flags for the worker (default ${PRODUCTION_WORKER_FLAGS}, as start:worker)
  --ingest-flags=F     node flags for the ingest (default ${PRODUCTION_INGEST_FLAGS}, as start:ingest)
  --worker-env K=V     extra environment variable for the worker (repeatable)
  --ingest-env K=V     extra environment variable for the ingest (repeatable)
  --pg-url URL         PostgreSQL server to create the bench database on
  --redis-url URL      Redis server (keys under the prefix pbench<pid>, removed at the end)`);
  process.exit(0);
}

const positive = (name: string, value: string, allowZero = false) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0))
    throw new Error(`--${name} must be a positive number`);
  return n;
};
const SMALL_N = Math.round(positive("small-n", opts["small-n"]));
const LARGE_N = Math.round(positive("large-n", opts["large-n"]));
const FLOOD_N = Math.round(positive("flood-n", opts["flood-n"]));
const FLOOD_SIZE = opts["flood-size"] as "small" | "large";
if (FLOOD_SIZE !== "small" && FLOOD_SIZE !== "large") throw new Error("--flood-size must be small or large");
const SHAPES = Math.round(positive("shapes", opts.shapes));
const CONNECTIONS = Math.round(positive("connections", opts.connections));
const PROBE_INTERVAL_MS = positive("probe-interval", opts["probe-interval"]);
const MIN_PROBES = Math.round(positive("min-probes", opts["min-probes"], true));
const PROBE_TIMEOUT_MS = positive("probe-timeout", opts["probe-timeout"]) * 1000;
const STALL_TIMEOUT_MS = positive("stall-timeout", opts["stall-timeout"]) * 1000;
const WARMUP_N = Math.round(positive("warmup", opts.warmup, true));
const ALERT_PAIRS = Math.round(positive("alert-pairs", opts["alert-pairs"]));
const INGEST_PROCESSES = Math.round(positive("ingest-processes", opts["ingest-processes"]));
const WORKER_PROCESSES = Math.round(positive("worker-processes", opts["worker-processes"]));
if (opts["cpu-prof"] && WORKER_PROCESSES > 1) throw new Error("--cpu-prof profiles one worker: use --worker-processes 1");
const selected = opts.scenarios
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
for (const s of selected)
  if (!(SCENARIOS as readonly string[]).includes(s))
    throw new Error(`unknown scenario ${s} (want ${SCENARIOS.join(", ")})`);
const PLAN = SCENARIOS.filter((s) => selected.includes(s));
for (const [name, n] of [
  ["small-n", SMALL_N],
  ["large-n", LARGE_N],
  ["flood-n", FLOOD_N],
] as const)
  if (n < CONNECTIONS) throw new Error(`--${name} must be at least --connections (${CONNECTIONS})`);
if (WARMUP_N > 0 && WARMUP_N < CONNECTIONS) throw new Error(`--warmup must be 0 or at least --connections`);

const PREFIX = `pbench${process.pid}`;
const DB_NAME = `errorhub_pbench_${process.pid}`;
const adminUrl = new URL(opts["pg-url"]);
const dbUrl = new URL(opts["pg-url"]);
dbUrl.pathname = `/${DB_NAME}`;
const REDIS_URL = opts["redis-url"];

// ---------------------------------------------------------------------------------------------
// Cleanup, whatever happens: children stopped by PID, Redis keys and the database removed.

const activeLoads = new Set<Load>();

// ---------------------------------------------------------------------------------------------

type Tenant = { label: string; orgId: number; projectId: number; publicKey: string };

type Cpu = {
  worker: number | null;
  ingest: number | null;
  postgres: number | null;
  redis: number | null;
  loadgen: number;
  machine: number | null;
  steal: number | null;
};

type FloodResult = {
  scenario: string;
  n: number;
  shapes: number;
  connections: number;
  bodyBytes: { min: number; max: number; avg: number };
  sent: number;
  ok: number;
  non2xx: number;
  status429: number;
  errors: number;
  timeouts: number;
  firstError: string | undefined;
  /** machineSpeedMs() right before the scenario and right after it */
  speedMs: { before: number; after: number };
  statusCodes: Record<string, number>;
  ingestSeconds: number;
  ingestRate: number;
  latency: { p50: number; p99: number; max: number };
  completed: boolean;
  totalSeconds: number;
  e2eRate: number;
  firstCountedSeconds: number | null;
  countedAtIngestEnd: number;
  drainRateDuringSend: number;
  drainRateAfterSend: number | null;
  maxBacklog: number;
  issues: number;
  expectedIssues: number;
  eventsRows: number;
  timesSeen: number;
  checks: { issues: boolean; events: boolean; timesSeen: boolean; noNon2xx: boolean; completed: boolean };
  cpuPct: Cpu;
  workerRssMaxMb: number | null;
  ingestRssMaxMb: number | null;
  /** the busiest processes outside the bench (noise), CPU % */
  topOthers: { pid: number; comm: string; pct: number }[];
};

type Ctx = {
  redis: Redis;
  pgc: pg.Client;
  /** the ingest, or with --ingest-processes its cluster primary */
  ingest: Child;
  workers: Child[];
  ingestUrl: string;
  ingestPort: number;
};

async function main(): Promise<number> {
  const started = Date.now();
  log(`processing benchmark: scenarios ${PLAN.join(", ")}; ${CONNECTIONS} connections, no pipelining`);
  log(
    `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), node ${process.version}; ingest, worker, PostgreSQL, Redis and the load generator share them`,
  );

  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on("error", () => {});
  await redis.connect().catch((error: Error) => {
    throw new Error(`no Redis at ${REDIS_URL}: ${error.message}`);
  });
  cleanups.push(async () => {
    const deleted = await deleteKeys(redis, `${PREFIX}:*`);
    log(`redis: removed ${deleted} keys under ${PREFIX}:`);
    redis.disconnect();
  });
  const admin = new pg.Client({ connectionString: adminUrl.href });
  await admin.connect().catch((error: Error) => {
    throw new Error(`no PostgreSQL at ${redact(adminUrl)}: ${error.message}`);
  });
  const pgVersion = (await admin.query<{ v: string }>("select current_setting('server_version') as v"))
    .rows[0]!.v;
  const pgSettings = Object.fromEntries(
    (
      await admin.query<{ name: string; setting: string; unit: string | null }>(
        "select name, setting, unit from pg_settings where name = any($1)",
        [["shared_buffers", "synchronous_commit", "fsync", "max_wal_size", "wal_level"]],
      )
    ).rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]),
  );
  await admin.end();

  cleanups.push(async () => {
    await dropDatabase(adminUrl.href, DB_NAME);
    log(`database ${DB_NAME} dropped`);
  });
  await migrate(dbUrl.href);
  log(`database ${DB_NAME}: migrated (PostgreSQL ${pgVersion}; ${JSON.stringify(pgSettings)})`);
  if (opts["db-sql"].length > 0) {
    const client = new pg.Client({ connectionString: dbUrl.href });
    await client.connect();
    try {
      for (const sql of opts["db-sql"]) {
        await client.query(sql);
        log(`database ${DB_NAME}: ran ${sql}`);
      }
    } finally {
      await client.end();
    }
  }
  let pgLogFrom: number | null = null;
  if (opts["pg-log-statements"]) {
    // Per database, so other databases on the server are left alone; new sessions pick it up.
    const client = new pg.Client({ connectionString: dbUrl.href });
    await client.connect();
    try {
      await client.query(`alter database "${DB_NAME}" set log_min_duration_statement = 0`);
      await client.query(`alter database "${DB_NAME}" set log_parameter_max_length = 0`);
    } finally {
      await client.end();
    }
    pgLogFrom = statSync(opts["pg-log-file"]).size;
    log(`statement durations of ${DB_NAME} are logged to ${opts["pg-log-file"]} (from byte ${pgLogFrom})`);
  }

  const receiver = new AlertReceiver();
  const smtp = new SmtpSink();
  if (PLAN.includes("alerts")) {
    await receiver.start();
    await smtp.start();
    cleanups.push(() => receiver.stop());
    cleanups.push(() => smtp.stop());
  }
  const scripts = await entries();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `errorhub-pbench-${process.pid}-`));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const ingestPort = await freePort();
  const baseEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: "production",
    DATABASE_URL: dbUrl.href,
    REDIS_URL,
    REDIS_PREFIX: PREFIX,
    INGEST_PORT: String(ingestPort),
    // info only for the readiness lines: neither process logs per event at info.
    LOG_LEVEL: "info",
    INGEST_LOG_SAMPLE_RATE: "0",
    AUTH_SECRET: randomBytes(32).toString("hex"),
    DATA_DIR: dataDir,
    DEFAULT_MONTHLY_ERROR_QUOTA: "0",
    SPIKE_PROTECTION_HOURLY_LIMIT: "0",
    APP_URL: "http://127.0.0.1:3000",
    // The alerts scenario's receiver and SMTP sink listen on loopback.
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
    ...(smtp.url ? { SMTP_URL: smtp.url } : {}),
  };
  cleanups.push(async () => {
    await Promise.all(runningChildren().map((child) => stopChild(child)));
  });
  const ingestArgs = [...opts["ingest-flags"].split(/\s+/).filter(Boolean), scripts.ingest];
  const ingest = await startNode(
    "ingest",
    INGEST_PROCESSES === 1
      ? ingestArgs
      : [path.join(ROOT, "workers/cluster.mjs"), "--processes", String(INGEST_PROCESSES), "--", ...ingestArgs],
    {
      cwd: ROOT,
      env: { ...baseEnv, ...pairs(opts["ingest-env"], "--ingest-env") },
      // every copy says so
      ready: new RegExp(Array(INGEST_PROCESSES).fill("ingest listening").join("[\\s\\S]*")),
    },
  );
  const workers: Child[] = [];
  for (let i = 0; i < WORKER_PROCESSES; i++) {
    workers.push(
      await startNode(
        WORKER_PROCESSES === 1 ? "worker" : `worker ${i + 1}`,
        [
          ...(opts["cpu-prof"]
            ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=worker-${process.pid}.cpuprofile`]
            : []),
          ...opts["worker-flags"].split(/\s+/).filter(Boolean),
          scripts.worker,
        ],
        { cwd: ROOT, env: { ...baseEnv, ...pairs(opts["worker-env"], "--worker-env") }, ready: /worker started/ },
      ),
    );
  }
  log(
    `ingest: ${scripts.label.ingest}, ${INGEST_PROCESSES === 1 ? `pid ${ingest.pid}` : `${INGEST_PROCESSES} copies (pids ${childPids(ingest.pid).join(", ")}) under cluster primary ${ingest.pid}`}, 127.0.0.1:${ingestPort}`,
  );
  log(`worker: ${scripts.label.worker}, pid${workers.length > 1 ? "s" : ""} ${workers.map((w) => w.pid).join(", ")}`);

  const pgc = new pg.Client({ connectionString: dbUrl.href });
  await pgc.connect();
  cleanups.push(() => pgc.end());
  const ctx: Ctx = { redis, pgc, ingest, workers, ingestUrl: `http://127.0.0.1:${ingestPort}`, ingestPort };

  if (WARMUP_N > 0) {
    const tenant = await createTenant("warmup");
    const warm = await runFlood(ctx, "warmup", tenant, "small", WARMUP_N, { quiet: true });
    log(
      `warm-up: ${warm.ok}/${WARMUP_N} events counted in ${warm.totalSeconds.toFixed(1)} s (${fmt(warm.e2eRate, 0)}/s), not part of the results`,
    );
  }

  const results: FloodResult[] = [];
  let fairness: FairnessResult | undefined;
  let alerts: AlertsResult | undefined;
  for (const scenario of PLAN) {
    console.log("");
    if (scenario === "alerts") {
      alerts = await runAlerts(ctx, receiver, smtp);
      printAlerts(alerts);
    } else if (scenario === "fairness") {
      fairness = await runFairness(ctx);
      printFairness(fairness);
    } else {
      const n = scenario === "small" ? SMALL_N : LARGE_N;
      const tenant = await createTenant(scenario);
      const hold = opts["hold-worker"] ? holdWorker(ctx) : {};
      const result = await runFlood(ctx, scenario, tenant, scenario, n, hold);
      results.push(result);
      printFlood(result, targetOf(scenario));
    }
  }

  if (pgLogFrom !== null) printStatementTimes(opts["pg-log-file"], pgLogFrom);
  const workerEndRss = summed(workerPids(ctx), rssMb);
  const workerCpuTotal = summed(workerPids(ctx), cpuSeconds);
  await stopChild(ingest);
  for (const worker of workers) await stopChild(worker);
  const profile = path.join(PROFILE_DIR, `worker-${process.pid}.cpuprofile`);
  if (opts["cpu-prof"]) {
    console.log(
      `\nworker cpu profile: ${existsSync(profile) ? profile : "(not written)"}  ->  tsx tests/bench/cpuprofile-top.ts ${profile}`,
    );
    console.log("NOTE: the worker ran under --cpu-prof: its figures include the profiler's overhead.");
  }

  // ------------------------------------------------------------------------------------------
  const pass: Record<string, boolean> = {};
  for (const r of results) pass[`${r.scenario}_rate`] = r.completed && r.e2eRate >= targetOf(r.scenario);
  if (fairness) pass.fairness_p99 = fairness.pass;
  if (alerts) {
    // The issue's figure: alert latency while bench:processing's flood (no rules of its own) runs.
    pass.alerts_p95 = alerts.latency.plain.p95 !== null && alerts.latency.plain.p95 < TARGETS.alertP95Ms;
    pass.alerts_rate_ratio = alerts.medianRatio !== null && alerts.medianRatio >= TARGETS.alertRateRatio;
  }
  const checksOk =
    results.every((r) => Object.values(r.checks).every(Boolean)) &&
    (!fairness || (Object.values(fairness.flood.checks).every(Boolean) && fairness.probesLost === 0)) &&
    (!alerts || alerts.checksOk);

  console.log("");
  console.log("summary");
  const rows: string[][] = [["scenario", "figure", "value", "target", "result"]];
  for (const r of results)
    rows.push([
      r.scenario,
      "end-to-end events/s",
      fmt(r.e2eRate, 0),
      `>= ${targetOf(r.scenario)}`,
      mark(pass[`${r.scenario}_rate`]!),
    ]);
  if (fairness)
    rows.push([
      "fairness",
      "B visible p99 ms",
      fmt(fairness.during.p99, 0),
      `< ${TARGETS.fairnessP99Ms}`,
      mark(fairness.pass),
    ]);
  if (alerts) {
    rows.push([
      "alerts",
      "accepted -> webhook p95 ms",
      fmt(alerts.latency.plain.p95, 0),
      `< ${TARGETS.alertP95Ms}`,
      mark(pass.alerts_p95!),
    ]);
    rows.push(["alerts", "the same during the floods with rules", fmt(alerts.latency.rules.p95, 0), "", ""]);
    rows.push([
      "alerts",
      "rate with rules / without (median)",
      fmt(alerts.medianRatio, 3),
      `>= ${TARGETS.alertRateRatio}`,
      mark(pass.alerts_rate_ratio!),
    ]);
  }
  rows.push(["all", "correctness checks", checksOk ? "ok" : "failed", "all ok", mark(checksOk)]);
  printRows(rows);
  const noisy = [...results, ...(fairness ? [fairness.flood] : [])].filter(
    (r) => (otherCpu(r.cpuPct) ?? 0) > NOISY_OTHER_CPU_PCT,
  );
  if (noisy.length > 0)
    console.log(
      `WARNING: noisy scenario(s) ${noisy.map((r) => `${r.scenario} (other ${fmt(otherCpu(r.cpuPct), 0)}%, steal ${fmt(r.cpuPct.steal, 0)}%)`).join(", ")}: their figures are low for reasons outside the bench`,
    );
  console.log(
    `worker at the end: RSS ${fmt(workerEndRss, 1)} MB, ${fmt(workerCpuTotal, 1)} CPU s in total${opts["cpu-prof"] ? " (profiled)" : ""}`,
  );

  console.log("");
  console.log(
    JSON.stringify({
      bench: "processing",
      at: new Date(started).toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim(), node: process.version },
      postgres: { version: pgVersion, ...pgSettings },
      ingest: scripts.label.ingest,
      worker: scripts.label.worker,
      ingest_processes: INGEST_PROCESSES,
      worker_processes: WORKER_PROCESSES,
      ingest_flags: opts["ingest-flags"] || undefined,
      worker_flags: opts["worker-flags"] || undefined,
      worker_env: opts["worker-env"].length ? opts["worker-env"] : undefined,
      ingest_env: opts["ingest-env"].length ? opts["ingest-env"] : undefined,
      db_sql: opts["db-sql"].length ? opts["db-sql"] : undefined,
      cpu_profiled: opts["cpu-prof"],
      warmup_events: WARMUP_N,
      connections: CONNECTIONS,
      scenarios: [
        ...results.map(floodJson),
        ...(fairness
          ? [
              {
                scenario: "fairness",
                flood: floodJson(fairness.flood),
                flood_size: FLOOD_SIZE,
                probe_interval_ms: PROBE_INTERVAL_MS,
                probes: fairness.probes.length,
                probes_during_flood: fairness.duringCount,
                probes_lost: fairness.probesLost,
                visible_ms: fairness.during,
                visible_ms_all: fairness.all,
                visible_ms_while_sending: fairness.sending,
                visible_ms_while_draining: fairness.draining,
                probe_answer_ms: fairness.answer,
                probe_non200: fairness.non200,
              },
            ]
          : []),
        ...(alerts ? [alertsJson(alerts)] : []),
      ],
      worker_end_rss_mb: round(workerEndRss),
      pass,
      checks_ok: checksOk,
      noisy_scenarios: noisy.map((r) => r.scenario),
    }),
  );
  return checksOk ? 0 : 1;
}

/** The alerts scenario (alerts-scenario.ts) with this bench's floods and tenants. */
function runAlerts(ctx: Ctx, receiver: AlertReceiver, smtp: SmtpSink): Promise<AlertsResult> {
  return runAlertPairs({
    pgc: ctx.pgc,
    ingestUrl: ctx.ingestUrl,
    receiver,
    smtp,
    pairs: ALERT_PAIRS,
    n: SMALL_N,
    probeIntervalMs: PROBE_INTERVAL_MS,
    probeTimeoutMs: PROBE_TIMEOUT_MS,
    createTenant,
    rules: opts["alert-rules"].split(",").map((r) => r.trim()),
    flood: async (label, tenant, hooks) => {
      const result = await runFlood(ctx, label, tenant, "small", SMALL_N, hooks);
      printFlood(result, TARGETS.smallRate);
      return result;
    },
  });
}

/** --hold-worker: the worker sleeps through the send phase, then drains the whole backlog. */
function holdWorker(ctx: Ctx) {
  return {
    onStart: () => {
      for (const pid of workerPids(ctx)) process.kill(pid, "SIGSTOP");
    },
    onSent: () => {
      for (const pid of workerPids(ctx)) process.kill(pid, "SIGCONT");
    },
  };
}

const workerPids = (ctx: Ctx) => ctx.workers.map((w) => w.pid);
/** The ingest's processes: the one, or the cluster primary (which hands out connections) and its copies. */
const ingestPids = (ctx: Ctx) => [ctx.ingest.pid, ...childPids(ctx.ingest.pid)];

/** PIDs of a process's children, from /proc (every thread's list: a fork may come from any). */
function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** A figure summed over processes; null when none could be read. */
function summed(pids: number[], figure: (pid: number) => number | null): number | null {
  const values = pids.map(figure).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
}

const targetOf = (scenario: string) => (scenario === "large" ? TARGETS.largeRate : TARGETS.smallRate);

// ---------------------------------------------------------------------------------------------
// A flood: N events of one tenant, timed from the first send until all are counted.

async function runFlood(
  ctx: Ctx,
  scenario: string,
  tenant: Tenant,
  kind: "small" | "large",
  n: number,
  options: { quiet?: boolean; onStart?: () => void; onSent?: () => void; isDone?: (done: boolean) => void },
): Promise<FloodResult> {
  const say = options.quiet ? () => {} : log;
  const dsn = `http://${tenant.publicKey}@127.0.0.1:${ctx.ingestPort}/${tenant.projectId}`;
  const poolSize = Math.max(2 * CONNECTIONS, Math.min(n, kind === "small" ? 20_000 : 500));
  const builtAt = Date.now();
  const pool = buildShapedPool(poolSize, SHAPES, kind, dsn, tenant.publicKey);
  const expectedIssues = Math.min(n, poolSize, SHAPES);
  say(
    `${scenario}: ${n} events over ${SHAPES} shapes, project ${tenant.projectId}; pool of ${poolSize} distinct envelopes, ` +
      `${pool.bodyBytes.min}-${pool.bodyBytes.max} bytes (avg ${pool.bodyBytes.avg}), built in ${Date.now() - builtAt} ms`,
  );
  const requestPath = `/api/${tenant.projectId}/envelope/?sentry_key=${tenant.publicKey}&sentry_version=7&sentry_client=sentry.javascript.node%2F11.12.0`;
  const load = new Load(pool.entries, requestPath, CONNECTIONS);
  const streamKeys = laneStreamKeys(PREFIX, tenant.projectId);

  const monitor = new Monitor(ctx);
  await monitor.start();
  // Timeline of polls: [ms since the first send, counted, stream length].
  const timeline: [number, number, number][] = [];
  let loadDone = false;
  let result: LoadResult | undefined;
  let loadError: unknown;
  const speedBefore = machineSpeedMs();
  const t0 = performance.now();
  let ingestMs = 0;
  activeLoads.add(load);
  options.onStart?.();
  const loading = load
    .run(ctx.ingestUrl, { amount: n })
    .then((r) => {
      result = r;
    })
    .catch((error) => {
      loadError = error;
    })
    .finally(() => {
      ingestMs = performance.now() - t0;
      loadDone = true;
      activeLoads.delete(load);
      options.onSent?.();
    });

  let counted = 0;
  let lastChange = performance.now();
  let lastProgress = performance.now();
  let completed = false;
  for (;;) {
    const pollAt = performance.now();
    const [row, xlen] = await Promise.all([
      ctx.pgc.query<{ n: string }>(
        "select coalesce(sum(times_seen), 0)::int8 as n from issues where project_id = $1",
        [tenant.projectId],
      ),
      Promise.all(streamKeys.map((key) => ctx.redis.xlen(key)))
        .then((lengths) => lengths.reduce((a, b) => a + b))
        .catch(() => -1),
    ]);
    const now = performance.now();
    const value = Number(row.rows[0]!.n);
    if (value !== counted) lastChange = now;
    counted = value;
    timeline.push([now - t0, counted, xlen]);
    if (now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      say(
        `  ${((now - t0) / 1000).toFixed(0).padStart(4)} s: sent ${String(load.sent).padStart(7)}, counted ${String(counted).padStart(7)}, backlog ${xlen}${loadDone ? " (all sent)" : ""}`,
      );
    }
    if (loadDone) {
      if (loadError) break;
      // Complete only when every event was accepted and counted: a run whose sends failed
      // (a crashed ingest answers nothing) counts nothing and must not pass as fast.
      if (counted >= result!.ok) {
        completed = result!.ok === n;
        break;
      }
      if (now - lastChange > STALL_TIMEOUT_MS) {
        say(
          `  ${scenario}: nothing counted for ${STALL_TIMEOUT_MS / 1000} s, giving up (${counted}/${result!.ok})`,
        );
        break;
      }
    }
    options.isDone?.(false);
    const wait = COUNT_POLL_MS - (performance.now() - pollAt);
    if (wait > 0) await sleep(wait);
  }
  options.isDone?.(true);
  await loading;
  const totalMs = timeline.at(-1)![0];
  const usage = await monitor.stop();
  const speedAfter = machineSpeedMs();
  if (loadError) throw loadError;
  const r = result!;

  const checks = await ctx.pgc.query<{ issues: number; times_seen: string; events: string }>(
    `select (select count(*)::int from issues where project_id = $1) as issues,
            (select coalesce(sum(times_seen), 0)::int8 from issues where project_id = $1) as times_seen,
            (select count(*)::int8 from events where project_id = $1) as events`,
    [tenant.projectId],
  );
  const c = checks.rows[0]!;
  const firstCounted = timeline.find(([, v]) => v > 0);
  const atIngestEnd = [...timeline].reverse().find(([ms]) => ms <= ingestMs)?.[1] ?? 0;
  const { statusCodes, ok } = r;
  const out: FloodResult = {
    scenario,
    n,
    shapes: SHAPES,
    connections: CONNECTIONS,
    bodyBytes: pool.bodyBytes,
    sent: load.sent,
    ok,
    non2xx: r.non2xx,
    status429: statusCodes["429"] ?? 0,
    errors: r.errors,
    timeouts: r.timeouts,
    firstError: r.firstError,
    speedMs: { before: speedBefore, after: speedAfter },
    statusCodes,
    ingestSeconds: ingestMs / 1000,
    ingestRate: ok / (ingestMs / 1000),
    latency: { p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max },
    completed,
    totalSeconds: totalMs / 1000,
    e2eRate: completed ? n / (totalMs / 1000) : 0,
    firstCountedSeconds: firstCounted ? firstCounted[0] / 1000 : null,
    countedAtIngestEnd: atIngestEnd,
    drainRateDuringSend: atIngestEnd / (ingestMs / 1000),
    drainRateAfterSend: totalMs > ingestMs ? (counted - atIngestEnd) / ((totalMs - ingestMs) / 1000) : null,
    maxBacklog: Math.max(0, ...timeline.map(([, , x]) => x)),
    issues: c.issues,
    expectedIssues,
    eventsRows: Number(c.events),
    timesSeen: Number(c.times_seen),
    checks: {
      issues: c.issues === expectedIssues,
      events: Number(c.events) === n,
      timesSeen: Number(c.times_seen) === n,
      noNon2xx: r.non2xx === 0 && r.errors === 0 && load.sent === n,
      completed,
    },
    cpuPct: usage.cpuPct,
    workerRssMaxMb: usage.workerRssMaxMb,
    ingestRssMaxMb: usage.ingestRssMaxMb,
    topOthers: usage.topOthers,
  };
  return out;
}

/** CPU of every party and RSS maxima over a scenario. */
class Monitor {
  private timer: NodeJS.Timeout | undefined;
  private workerRssMax: number | null = null;
  private ingestRssMax: number | null = null;
  private at = 0;
  private base: {
    worker: number | null;
    ingest: number | null;
    processes: Map<number, { comm: string; cpu: number }>;
    redis: number | null;
    self: NodeJS.CpuUsage;
    machine: number | null;
    steal: number | null;
  } | null = null;

  constructor(private readonly ctx: Ctx) {}

  async start(): Promise<void> {
    const sample = () => {
      const w = summed(workerPids(this.ctx), rssMb);
      const i = summed(ingestPids(this.ctx), rssMb);
      if (w !== null && (this.workerRssMax === null || w > this.workerRssMax)) this.workerRssMax = w;
      if (i !== null && (this.ingestRssMax === null || i > this.ingestRssMax)) this.ingestRssMax = i;
    };
    sample();
    this.timer = setInterval(sample, SAMPLE_MS);
    this.base = {
      worker: summed(workerPids(this.ctx), cpuSeconds),
      ingest: summed(ingestPids(this.ctx), cpuSeconds),
      processes: allProcessCpu(),
      redis: await redisCpu(this.ctx.redis),
      self: process.cpuUsage(),
      machine: machineBusySeconds(),
      steal: stealSeconds(),
    };
    this.at = performance.now();
  }

  async stop(): Promise<{
    cpuPct: Cpu;
    workerRssMaxMb: number | null;
    ingestRssMaxMb: number | null;
    topOthers: { pid: number; comm: string; pct: number }[];
  }> {
    clearInterval(this.timer);
    const b = this.base!;
    const wall = (performance.now() - this.at) / 1000;
    const pct = (a: number | null, z: number | null) =>
      a === null || z === null ? null : ((z - a) / wall) * 100;
    // Processes started during the scenario count from 0; ones that ended are lost (the
    // worker's and this process's PostgreSQL connections live throughout).
    const known = new Set([...workerPids(this.ctx), ...ingestPids(this.ctx), process.pid]);
    let pgSum = 0;
    const others: { pid: number; comm: string; pct: number }[] = [];
    for (const [pid, now] of allProcessCpu()) {
      const used = now.cpu - (b.processes.get(pid)?.cpu ?? 0);
      if (now.comm === "postgres") pgSum += used;
      else if (!known.has(pid) && now.comm !== "redis-server" && used > 0)
        others.push({ pid, comm: now.comm, pct: (used / wall) * 100 });
    }
    others.sort((x, y) => y.pct - x.pct);
    const self = process.cpuUsage(b.self);
    const worker = summed(workerPids(this.ctx), cpuSeconds);
    const ingest = summed(ingestPids(this.ctx), cpuSeconds);
    const machine = machineBusySeconds();
    const steal = stealSeconds();
    const redis = await redisCpu(this.ctx.redis);
    const cpuPct: Cpu = {
      worker: pct(b.worker, worker),
      ingest: pct(b.ingest, ingest),
      postgres: (pgSum / wall) * 100,
      redis: pct(b.redis, redis),
      loadgen: ((self.user + self.system) / 1e6 / wall) * 100,
      machine: pct(b.machine, machine),
      steal: pct(b.steal, steal),
    };
    return {
      cpuPct,
      workerRssMaxMb: this.workerRssMax,
      ingestRssMaxMb: this.ingestRssMax,
      topOthers: others.slice(0, 3).map((o) => ({ ...o, pct: Math.round(o.pct) })),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Fairness: tenant A floods while tenant B's single events are timed until visible.

type Probe = {
  seq: number;
  eventId: string;
  phase: "sending" | "draining" | "after";
  sentAt: number;
  answerMs: number | null;
  status: number | null;
  visibleMs: number | null;
  lost: boolean;
};
type Stats = { n: number; p50: number | null; p99: number | null; max: number | null };
type FairnessResult = {
  flood: FloodResult;
  tenantB: Tenant;
  probes: Probe[];
  during: Stats;
  all: Stats;
  sending: Stats;
  draining: Stats;
  answer: Stats;
  duringCount: number;
  probesLost: number;
  pollFailures: number;
  non200: number;
  pass: boolean;
};

async function runFairness(ctx: Ctx): Promise<FairnessResult> {
  const a = await createTenant("fairness-a");
  const b = await createTenant("fairness-b");
  const dsnB = `http://${b.publicKey}@127.0.0.1:${ctx.ingestPort}/${b.projectId}`;
  const urlB = `${ctx.ingestUrl}/api/${b.projectId}/envelope/?sentry_key=${b.publicKey}&sentry_version=7&sentry_client=sentry.javascript.node%2F11.12.0`;
  log(
    `fairness: tenant A (org ${a.orgId}, project ${a.projectId}) floods ${FLOOD_N} ${FLOOD_SIZE} events; every ${PROBE_INTERVAL_MS} ms one event for tenant B (org ${b.orgId}, project ${b.projectId}), timed until visible in B's events (polled every ${PROBE_POLL_MS} ms)`,
  );

  const probes: Probe[] = [];
  const outstanding = new Map<string, Probe>();
  let phase: Probe["phase"] = "sending";
  let sender: NodeJS.Timeout | undefined;
  let polling = false;
  let pollFailures = 0;
  const pollClient = new pg.Client({ connectionString: dbUrl.href });
  await pollClient.connect();

  const sendProbe = () => {
    const seq = probes.length;
    // Ten shapes of B: the first ten probes each start an issue, later ones join one.
    const { eventId, body } = probeEnvelope(seq, seq % 10, dsnB, b.publicKey);
    const probe: Probe = {
      seq,
      eventId,
      phase,
      sentAt: performance.now(),
      answerMs: null,
      status: null,
      visibleMs: null,
      lost: false,
    };
    probes.push(probe);
    outstanding.set(eventId, probe);
    fetch(urlB, {
      method: "POST",
      body: new Uint8Array(body),
      headers: {
        "content-type": "application/x-sentry-envelope",
        "user-agent": "sentry.javascript.node/11.12.0",
      },
    })
      .then(async (res) => {
        await res.arrayBuffer();
        probe.status = res.status;
        probe.answerMs = performance.now() - probe.sentAt;
        if (res.status !== 200) outstanding.delete(eventId);
      })
      .catch(() => {
        probe.status = 0;
        outstanding.delete(eventId);
      });
  };
  const poller = setInterval(() => {
    if (polling || outstanding.size === 0) return;
    polling = true;
    const ids = [...outstanding.keys()];
    pollClient
      .query<{ event_id: string }>(
        "select event_id from events where project_id = $1 and event_id = any($2::text[])",
        [b.projectId, ids],
      )
      .then(({ rows }) => {
        const now = performance.now();
        for (const { event_id } of rows) {
          const probe = outstanding.get(event_id);
          if (!probe) continue;
          probe.visibleMs = now - probe.sentAt;
          outstanding.delete(event_id);
        }
        for (const [id, probe] of outstanding) {
          if (now - probe.sentAt > PROBE_TIMEOUT_MS) {
            probe.lost = true;
            outstanding.delete(id);
          }
        }
      })
      .catch(() => {
        pollFailures++;
      })
      .finally(() => {
        polling = false;
      });
  }, PROBE_POLL_MS);

  let flood: FloodResult;
  try {
    flood = await runFlood(ctx, "fairness-a", a, FLOOD_SIZE, FLOOD_N, {
      onStart: () => {
        sender = setInterval(sendProbe, PROBE_INTERVAL_MS);
      },
      onSent: () => {
        phase = "draining";
      },
      isDone: (done) => {
        if (done) phase = "after";
      },
    });
    // At least MIN_PROBES, even when A was done sooner (those count as "after").
    while (probes.length < MIN_PROBES) await sleep(PROBE_INTERVAL_MS / 2);
    clearInterval(sender);
    const deadline = performance.now() + PROBE_TIMEOUT_MS + 1000;
    while (outstanding.size > 0 && performance.now() < deadline) await sleep(PROBE_POLL_MS);
  } finally {
    clearInterval(sender);
    clearInterval(poller);
    while (polling) await sleep(5);
    await pollClient.end();
  }
  for (const probe of outstanding.values()) probe.lost = true;

  const stats = (list: Probe[]): Stats => {
    // A lost probe counts as never visible: it sorts last and fails any percentile it reaches.
    const values = list
      .map((p) => (p.visibleMs === null ? Number.POSITIVE_INFINITY : p.visibleMs))
      .sort((x, y) => x - y);
    return {
      n: values.length,
      p50: percentile(values, 50),
      p99: percentile(values, 99),
      max: values.at(-1) ?? null,
    };
  };
  const answered = probes.filter((p) => p.status === 200);
  const during = answered.filter((p) => p.phase !== "after");
  const answerTimes = answered.map((p) => p.answerMs!).sort((x, y) => x - y);
  const duringStats = stats(during);
  return {
    flood: flood!,
    tenantB: b,
    probes,
    during: duringStats,
    all: stats(answered),
    sending: stats(answered.filter((p) => p.phase === "sending")),
    draining: stats(answered.filter((p) => p.phase === "draining")),
    answer: {
      n: answerTimes.length,
      p50: percentile(answerTimes, 50),
      p99: percentile(answerTimes, 99),
      max: answerTimes.at(-1) ?? null,
    },
    duringCount: during.length,
    probesLost: probes.filter((p) => p.lost).length,
    pollFailures,
    non200: probes.filter((p) => p.status !== 200).length,
    pass:
      during.length >= MIN_PROBES &&
      duringStats.p99 !== null &&
      duringStats.p99 < TARGETS.fairnessP99Ms &&
      probes.every((p) => p.status === 200),
  };
}

/** Nearest-rank percentile of sorted values. */
// ---------------------------------------------------------------------------------------------
// Output

function printFlood(r: FloodResult, target: number): void {
  const cpu = r.cpuPct;
  // CPU seconds per 1,000 events of a process over the whole scenario: steadier than rates.
  const perThousand = (pct: number | null) => (pct === null ? "-" : ((pct / 100) * r.totalSeconds * (1000 / r.n)).toFixed(3));
  const rows: string[][] = [
    ["", "", ""],
    [
      "ingest",
      `${r.ingestSeconds.toFixed(2)} s`,
      `${fmt(r.ingestRate, 0)} sends/s; latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms`,
    ],
    [
      "end to end",
      r.completed ? `${r.totalSeconds.toFixed(2)} s` : "incomplete",
      `${fmt(r.e2eRate, 0)} events/s   target >= ${target}   ${mark(r.completed && r.e2eRate >= target)}`,
    ],
    [
      "drain",
      "",
      `first counted after ${fmt(r.firstCountedSeconds, 2)} s; ${r.countedAtIngestEnd} counted while sending (${fmt(r.drainRateDuringSend, 0)}/s), ` +
        `${r.timesSeen - r.countedAtIngestEnd} after (${fmt(r.drainRateAfterSend, 0)}/s); longest backlog ${r.maxBacklog}`,
    ],
    [
      "answers",
      "",
      `${r.ok} x 200 of ${r.sent} sent; non-2xx ${r.non2xx} (429 backlog_full: ${r.status429}); errors ${r.errors}${r.firstError ? ` (${r.firstError})` : ""}, timeouts ${r.timeouts}   ${mark(r.checks.noNon2xx)}`,
    ],
    [
      "stored",
      "",
      `issues ${r.issues}/${r.expectedIssues} ${mark(r.checks.issues)}; events rows ${r.eventsRows}/${r.n} ${mark(r.checks.events)}; sum(times_seen) ${r.timesSeen}/${r.n} ${mark(r.checks.timesSeen)}`,
    ],
    [
      "CPU %",
      "",
      `worker ${fmt(cpu.worker, 0)}, ingest ${fmt(cpu.ingest, 0)}, postgres ${fmt(cpu.postgres, 0)}, redis ${fmt(cpu.redis, 0)}, loadgen ${fmt(cpu.loadgen, 0)}, ` +
        `other ${fmt(otherCpu(cpu), 0)} (machine ${fmt(cpu.machine, 0)} of ${os.cpus().length * 100} incl. hypervisor steal ${fmt(cpu.steal, 0)})`,
    ],
    [
      "CPU s/1000",
      "",
      `worker ${perThousand(cpu.worker)}, postgres ${perThousand(cpu.postgres)}, redis ${perThousand(cpu.redis)}, ingest ${perThousand(cpu.ingest)}` +
        (opts["hold-worker"] ? "   (worker held while sending: worker and postgres figures are the drain's own)" : ""),
    ],
    ["RSS max", "", `worker ${fmt(r.workerRssMaxMb, 1)} MB, ingest ${fmt(r.ingestRssMaxMb, 1)} MB`],
    [
      "machine speed",
      "",
      `fixed task ${fmt(r.speedMs.before, 1)} ms of CPU before, ${fmt(r.speedMs.after, 1)} ms after (lower is faster: compare runs with it)`,
    ],
  ];
  if ((otherCpu(cpu) ?? 0) > NOISY_OTHER_CPU_PCT)
    rows.push([
      "noise",
      "",
      `WARNING: ${fmt(otherCpu(cpu), 0)}% CPU went outside the bench (hypervisor steal ${fmt(cpu.steal, 0)}%; busiest other processes: ${
        r.topOthers.map((o) => `${o.comm} ${o.pct}%`).join(", ") || "none still running"
      }): figures are low for reasons outside the bench, rerun on a quieter machine`,
    ]);
  console.log(
    `== ${r.scenario}: ${r.n} events over ${r.shapes} shapes, ${r.bodyBytes.min}-${r.bodyBytes.max} B (avg ${r.bodyBytes.avg}), ${r.connections} connections`,
  );
  printRows(rows.slice(1));
}

function printFairness(f: FairnessResult): void {
  // The flood is held to the rate target of its event size (--flood-size).
  printFlood(f.flood, targetOf(FLOOD_SIZE));
  const s = (x: Stats) =>
    `p50 ${fmt(x.p50, 0)}  p99 ${fmt(x.p99, 0)}  max ${fmt(x.max, 0)} ms (${x.n} probes)`;
  console.log(
    `== fairness: tenant B's events, from send to visible in B's events (upper bound, ${PROBE_POLL_MS} ms polls)`,
  );
  printRows([
    [
      "during A's flood",
      s(f.during),
      `target p99 < ${TARGETS.fairnessP99Ms} ms over >= ${MIN_PROBES} probes   ${mark(f.pass)}`,
    ],
    ["  while A sends", s(f.sending), ""],
    ["  while A drains", s(f.draining), "(A all sent, backlog left)"],
    ["all probes", s(f.all), ""],
    [
      "ingest answer",
      s(f.answer),
      `non-200 ${f.non200}, lost (not visible in ${PROBE_TIMEOUT_MS / 1000} s) ${f.probesLost}`,
    ],
  ]);
}

function floodJson(r: FloodResult) {
  return {
    scenario: r.scenario,
    n: r.n,
    shapes: r.shapes,
    body_bytes: r.bodyBytes,
    sent: r.sent,
    ok: r.ok,
    non2xx: r.non2xx,
    status_429: r.status429,
    errors: r.errors,
    timeouts: r.timeouts,
    first_error: r.firstError,
    machine_speed_ms: { before: round(r.speedMs.before, 1), after: round(r.speedMs.after, 1) },
    status: r.statusCodes,
    ingest_s: round(r.ingestSeconds, 2),
    ingest_rate: Math.round(r.ingestRate),
    ingest_latency_ms: r.latency,
    completed: r.completed,
    total_s: round(r.totalSeconds, 2),
    e2e_rate: Math.round(r.e2eRate),
    first_counted_s: round(r.firstCountedSeconds, 2),
    counted_at_ingest_end: r.countedAtIngestEnd,
    drain_rate_during_send: Math.round(r.drainRateDuringSend),
    drain_rate_after_send: r.drainRateAfterSend === null ? null : Math.round(r.drainRateAfterSend),
    max_backlog: r.maxBacklog,
    issues: r.issues,
    expected_issues: r.expectedIssues,
    events_rows: r.eventsRows,
    times_seen: r.timesSeen,
    checks: r.checks,
    cpu_pct: Object.fromEntries(
      Object.entries({ ...r.cpuPct, other: otherCpu(r.cpuPct) }).map(([k, v]) => [k, round(v, 0)]),
    ),
    worker_rss_max_mb: round(r.workerRssMaxMb),
    ingest_rss_max_mb: round(r.ingestRssMaxMb),
    noisy: (otherCpu(r.cpuPct) ?? 0) > NOISY_OTHER_CPU_PCT,
    top_others: r.topOthers,
  };
}

function otherCpu(c: Cpu): number | null {
  if (c.machine === null) return null;
  return c.machine - (c.worker ?? 0) - (c.ingest ?? 0) - (c.postgres ?? 0) - (c.redis ?? 0) - c.loadgen;
}

function fmt(value: number | null | undefined, digits: number): string {
  if (value === null || value === undefined) return "-";
  if (!Number.isFinite(value)) return "lost";
  return value.toFixed(digits);
}

function round(value: number | null, digits = 1): number | null {
  return value === null ? null : Number.isFinite(value) ? Number(value.toFixed(digits)) : null;
}

/**
 * Sums the durations PostgreSQL logged for the bench database (log_min_duration_statement = 0)
 * by statement, from byte `from` of its log: server-side time, without the client's.
 */
function printStatementTimes(file: string, from: number): void {
  let text: string;
  try {
    const buffer = readFileSync(file);
    text = buffer.subarray(from).toString("utf8");
  } catch (error) {
    console.log(`cannot read ${file}: ${(error as Error).message}`);
    return;
  }
  const byStatement = new Map<string, { ms: number; n: number }>();
  let total = 0;
  const marker = `@${DB_NAME} `;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.includes(marker)) continue;
    const m = /LOG: {2}duration: ([\d.]+) ms {2}(?:(parse|bind|execute) [^:]*: |statement: )?(.*)$/.exec(
      line,
    );
    if (!m) continue;
    // A statement continues on the following lines (they carry no log prefix).
    let statement = m[3] ?? "";
    for (
      let j = i + 1;
      j < lines.length && !/^\d{4}-\d\d-\d\d /.test(lines[j]!) && statement.length < 200;
      j++
    )
      statement += ` ${lines[j]!.trim()}`;
    const key = `${m[2] ?? "simple"} ${statement.replace(/\s+/g, " ").trim().slice(0, 70)}`;
    const ms = Number(m[1]);
    total += ms;
    const entry = byStatement.get(key) ?? { ms: 0, n: 0 };
    entry.ms += ms;
    entry.n += 1;
    byStatement.set(key, entry);
  }
  console.log(
    `\nPostgreSQL server-side statement time for ${DB_NAME}: ${(total / 1000).toFixed(1)} s in total, top 20:`,
  );
  for (const [key, { ms, n }] of [...byStatement].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20))
    console.log(
      `${(ms / 1000).toFixed(2).padStart(8)} s ${String(n).padStart(7)}x ${(ms / n).toFixed(2).padStart(8)} ms avg  ${key}`,
    );
}

// ---------------------------------------------------------------------------------------------
// Processes and resources

/** CPU seconds and command name of every process, by PID. */
function allProcessCpu(): Map<number, { comm: string; cpu: number }> {
  const out = new Map<number, { comm: string; cpu: number }>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(name), { comm, cpu: (Number(fields[11]) + Number(fields[12])) / 100 });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Seconds of CPU time the hypervisor gave to others (steal), machine-wide. */
function stealSeconds(): number | null {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
    return Number(fields[8] ?? 0) / 100;
  } catch {
    return null;
  }
}

async function redisCpu(redis: Redis): Promise<number | null> {
  try {
    const info = await redis.info("cpu");
    const user = /used_cpu_user:([\d.]+)/.exec(info);
    const sys = /used_cpu_sys:([\d.]+)/.exec(info);
    return user && sys ? Number(user[1]) + Number(sys[1]) : null;
  } catch {
    return null;
  }
}

function pairs(list: string[], flag: string): Record<string, string> {
  return Object.fromEntries(
    list.map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 1) throw new Error(`${flag} wants KEY=VALUE, got ${pair}`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Bundles: dist/workers/{ingest,worker}.js, rebuilt when older than lib/ or workers/.

async function entries(): Promise<{
  ingest: string;
  worker: string;
  label: { ingest: string; worker: string };
}> {
  let ingest = path.join(DIST, "ingest.js");
  let worker = path.join(DIST, "worker.js");
  const label = { ingest: "dist/workers/ingest.js", worker: "dist/workers/worker.js" };
  if (opts["cpu-prof"]) {
    // Source-mapped, outside the project (node_modules linked for the external packages), so
    // the profile maps to lib/ lines and dist/ stays as it is.
    mkdirSync(PROFILE_DIR, { recursive: true });
    if (!existsSync(path.join(PROFILE_DIR, "node_modules")))
      symlinkSync(path.join(ROOT, "node_modules"), path.join(PROFILE_DIR, "node_modules"));
    await buildBundles(["workers/ingest.ts", "workers/worker.ts"], PROFILE_DIR, ["--sourcemap"]);
    ingest = path.join(PROFILE_DIR, "ingest.js");
    worker = path.join(PROFILE_DIR, "worker.js");
    label.ingest = `${ingest} (build:workers flags + --sourcemap)`;
    label.worker = `${worker} (build:workers flags + --sourcemap)`;
  } else {
    const oldest = Math.min(
      ...[ingest, worker].map((f) => (existsSync(f) ? statSync(f).mtimeMs : Number.NEGATIVE_INFINITY)),
    );
    const stale = newestSource() > oldest;
    const needed = (opts["ingest-script"] ? 0 : 1) + (opts["worker-script"] ? 0 : 1);
    if (stale && needed > 0) {
      if (opts["skip-build"]) {
        if (!Number.isFinite(oldest))
          throw new Error("dist/workers bundles are missing (run without --skip-build)");
        log("WARNING: dist/workers bundles are older than lib/ or workers/ (--skip-build: used as they are)");
      } else {
        log("dist/workers/{ingest,worker}.js missing or older than lib/ or workers/: building them");
        await buildBundles(["workers/ingest.ts", "workers/worker.ts"], DIST, []);
        label.ingest += " (rebuilt)";
        label.worker += " (rebuilt)";
      }
    }
  }
  if (opts["ingest-script"]) {
    ingest = path.resolve(opts["ingest-script"]);
    label.ingest = ingest;
  }
  if (opts["worker-script"]) {
    worker = path.resolve(opts["worker-script"]);
    label.worker = worker;
  }
  return { ingest, worker, label };
}

/** esbuild workers/{ingest,worker}.ts with the flags of package.json's build:workers script. */

// ---------------------------------------------------------------------------------------------
// Database

/** A user, an org of its own with a project, and a DSN key. */
async function createTenant(label: string): Promise<Tenant> {
  const client = new pg.Client({ connectionString: dbUrl.href });
  await client.connect();
  try {
    const suffix = `${label}-${randomBytes(4).toString("hex")}`;
    const user = await client.query<{ id: number }>("insert into users (email) values ($1) returning id", [
      `pbench-${suffix}@example.com`,
    ]);
    const org = await client.query<{ id: number }>(
      "insert into organizations (slug, name) values ($1, $2) returning id",
      [`pbench-${suffix}`, `Bench ${label}`],
    );
    await client.query("insert into memberships (org_id, user_id, role) values ($1, $2, 'owner')", [
      org.rows[0]!.id,
      user.rows[0]!.id,
    ]);
    const project = await client.query<{ id: number }>(
      "insert into projects (org_id, slug, name, platform) values ($1, $2, $3, 'node') returning id",
      [org.rows[0]!.id, label, `Bench ${label}`],
    );
    const publicKey = randomBytes(16).toString("hex");
    await client.query("insert into project_keys (project_id, public_key, secret_key) values ($1, $2, $3)", [
      project.rows[0]!.id,
      publicKey,
      randomBytes(16).toString("hex"),
    ]);
    return { label, orgId: org.rows[0]!.id, projectId: project.rows[0]!.id, publicKey };
  } finally {
    await client.end();
  }
}

await runBench(main, () => {
  for (const load of activeLoads) load.stop();
});
