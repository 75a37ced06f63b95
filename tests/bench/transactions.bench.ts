/**
 * Transactions stored per second, end to end (issue #22; a script, not a vitest test):
 *
 *   npm run bench:transactions -- [--n 20000] [--help for all options]
 *
 * Everything on this machine: the built ingest and worker (dist/workers, rebuilt when older than
 * lib/ or workers/, run with start:ingest's and start:worker's node flags), PostgreSQL, Redis and
 * the load generator (tests/bench/load.ts: 50 keep-alive connections, each request an envelope
 * of a pre-built pool stamped with a fresh event id). Floods, each on a tenant of its own:
 *
 * - transactions: N typical transactions as @sentry/node sends them for a request to an
 *   instrumented server (tests/support/transactions.ts: http.server root, a middleware span, db
 *   and http.client spans; 30 spans, ~10 KB), over 5 routes; the clock runs from the first send
 *   until the project's hourly transaction_stats count all accepted ones (polled every 100 ms).
 * - errors (the same-run baseline): N ~2.5 KB error events over 100 issue shapes, the small
 *   flood of bench:processing, until the issues' times_seen count them all.
 *
 * Rounds alternate the order of the two. Reports the end-to-end rates, their ratio, the CPU of
 * the worker, the ingest and the whole machine (and the CPU per item of the worker, the ingest
 * and the bench database's Postgres backends, which moves less with what else runs on the
 * machine than the rates do), and checks every transaction is a row, counted
 * once in the stats, in 5 groups, with no non-2xx answer. Target >= 1,500 transactions/s.
 * Exit code 1 when a check fails; a missed target alone exits 0.
 *
 * --cpu-prof runs the worker under node --cpu-prof (source-mapped bundles in a temp dir) and
 * prints the tests/bench/cpuprofile-top.ts command for the profile.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { migrate } from "../../lib/migrate";
import { envelope } from "../support/envelopes";
import { nodeTransaction } from "../support/transactions";
import { backendCpu, backendCpuUsed, type BenchTenant, createBenchTenant, workerBundles } from "./bench-setup";
import { ROOT, deleteKeys, dropDatabase, productionFlags } from "./build";
import { cleanups, log, mark, printRows, redact, runBench } from "./harness";
import { Load } from "./load";
import type { PoolEntry } from "./payloads";
import { buildShapedPool } from "./processing-payloads";
import { type Child, cpuSeconds, freePort, machineBusySeconds, machineSpeedMs, runningChildren, sleep, startNode, stopChild } from "./procs";

const TARGET = 1500;
const ROUTES = 5;
const POLL_MS = 100;

const { values: opts } = parseArgs({
  options: {
    n: { type: "string", default: "20000" },
    "baseline-n": { type: "string", default: "20000" },
    rounds: { type: "string", default: "2" },
    spans: { type: "string", default: "30" },
    pool: { type: "string", default: "2000" },
    connections: { type: "string", default: "50" },
    warmup: { type: "string", default: "2000" },
    "stall-timeout": { type: "string", default: "60" },
    "skip-build": { type: "boolean", default: false },
    "cpu-prof": { type: "boolean", default: false },
    "db-sql": { type: "string", multiple: true, default: [] },
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log(`usage: tsx tests/bench/transactions.bench.ts [options]   (npm run bench:transactions -- [options])
  --n N               transactions per flood (default 20000)
  --baseline-n N      error events per baseline flood (default 20000)
  --rounds N          rounds of both floods, their order alternating (default 2)
  --spans N           spans per transaction (default 30)
  --pool N            distinct envelopes per flood (default 2000)
  --connections N     load generator connections (default 50)
  --warmup N          transactions and events sent to a warm-up tenant first (default 2000, 0 = none)
  --stall-timeout S   give a flood up when nothing more is counted for S seconds (default 60)
  --skip-build        use dist/workers/{ingest,worker}.js as they are
  --cpu-prof          run the worker under node --cpu-prof (source-mapped build in a temp dir)
  --db-sql SQL        run this SQL on the bench database after migrating (repeatable), to measure
                      a candidate schema or setting change
  --pg-url URL        PostgreSQL server to create the bench database on
  --redis-url URL     Redis server (keys under the prefix tbench<pid>, removed at the end)`);
  process.exit(0);
}

const int = (name: string, min: number) => {
  const n = Number(opts[name as keyof typeof opts]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
};
const N = int("n", 100);
const BASELINE_N = int("baseline-n", 100);
const ROUNDS = int("rounds", 1);
const SPANS = int("spans", 1);
const POOL = int("pool", 10);
const CONNECTIONS = int("connections", 1);
const WARMUP = int("warmup", 0);
const STALL_MS = int("stall-timeout", 1) * 1000;

const PREFIX = `tbench${process.pid}`;
const DB_NAME = `errorhub_tbench_${process.pid}`;
const adminUrl = new URL(opts["pg-url"]);
const dbUrl = new URL(opts["pg-url"]);
dbUrl.pathname = `/${DB_NAME}`;
const PROFILE_DIR = path.join(os.tmpdir(), `errorhub-tbench-prof-${process.pid}`);
const activeLoads = new Set<Load>();

type Kind = "transactions" | "errors";
type Ctx = { pgc: pg.Client; ingest: Child; worker: Child; ingestUrl: string; ingestPort: number };
type Flood = {
  kind: Kind;
  n: number;
  bodyBytes: number;
  ok: number;
  non2xx: number;
  completed: boolean;
  seconds: number;
  ingestRate: number;
  e2eRate: number;
  cpuPct: { worker: number | null; ingest: number | null; machine: number | null };
  /** CPU µs per item: less sensitive to what else runs on the machine than the rates */
  cpuUsPerItem: { worker: number | null; ingest: number | null; postgres: number };
  checks: Record<string, boolean>;
};

/** `size` distinct transaction envelopes, headed as the Node SDK heads them. */
function transactionPool(size: number, dsn: string, publicKey: string): PoolEntry[] {
  return Array.from({ length: size }, (_, i) => {
    const transaction = nodeTransaction(i, { spans: SPANS });
    const header = {
      event_id: transaction.event_id,
      dsn,
      sdk: { name: "sentry.javascript.node", version: "11.12.0" },
      trace: { trace_id: randomBytes(16).toString("hex"), public_key: publicKey, environment: "production", sample_rate: "1", transaction: transaction.transaction },
    };
    const body = envelope(header, [{ type: "transaction", payload: JSON.stringify(transaction) }]);
    const idOffsets: number[] = [];
    for (let at = body.indexOf(transaction.event_id); at !== -1; at = body.indexOf(transaction.event_id, at + 1)) idOffsets.push(at);
    if (idOffsets.length !== 2) throw new Error(`expected the event id twice in envelope ${i}, found ${idOffsets.length}`);
    return { body, idOffsets };
  });
}

// What counts a flood's items as stored: the hourly stats' counts (a few rows, unlike counting
// transactions), the issues' times_seen for error events.
const COUNTERS: Record<Kind, string> = {
  transactions: "select coalesce(sum(count), 0)::int8 as n from transaction_stats where project_id = $1 and resolution = 'h'",
  errors: "select coalesce(sum(times_seen), 0)::int8 as n from issues where project_id = $1",
};

async function flood(ctx: Ctx, kind: Kind, n: number, quiet = false): Promise<Flood> {
  const say = quiet ? () => {} : log;
  const tenant: BenchTenant = await createBenchTenant(dbUrl.href, `${kind}-${randomBytes(3).toString("hex")}`);
  const dsn = `http://${tenant.publicKey}@127.0.0.1:${ctx.ingestPort}/${tenant.projectId}`;
  const size = Math.max(2 * CONNECTIONS, Math.min(n, POOL));
  const pool = kind === "transactions" ? transactionPool(size, dsn, tenant.publicKey) : buildShapedPool(size, 100, "small", dsn, tenant.publicKey).entries;
  const bodyBytes = Math.round(pool.reduce((sum, e) => sum + e.body.length, 0) / pool.length);
  say(`${kind}: ${n} envelopes of ~${bodyBytes} bytes (pool of ${size}), project ${tenant.projectId}`);
  const requestPath = `/api/${tenant.projectId}/envelope/?sentry_key=${tenant.publicKey}&sentry_version=7&sentry_client=sentry.javascript.node%2F11.12.0`;
  const load = new Load(pool, requestPath, CONNECTIONS);
  activeLoads.add(load);

  const cpu0 = { worker: cpuSeconds(ctx.worker.pid), ingest: cpuSeconds(ctx.ingest.pid), machine: machineBusySeconds() };
  const backends0 = await backendCpu(ctx.pgc, DB_NAME);
  const t0 = performance.now();
  let ingestMs = 0;
  let loadDone = false;
  const loading = load.run(ctx.ingestUrl, { amount: n }).finally(() => {
    ingestMs = performance.now() - t0;
    loadDone = true;
    activeLoads.delete(load);
  });
  loading.catch(() => {});
  let counted = 0;
  let lastChange = performance.now();
  let completed = false;
  let doneMs = 0;
  for (;;) {
    const { rows } = await ctx.pgc.query<{ n: string }>(COUNTERS[kind], [tenant.projectId]);
    const now = performance.now();
    if (Number(rows[0]!.n) !== counted) lastChange = now;
    counted = Number(rows[0]!.n);
    doneMs = now - t0;
    if (loadDone) {
      const result = await loading;
      if (counted >= result.ok) {
        completed = result.ok === n;
        break;
      }
      if (now - lastChange > STALL_MS) {
        say(`${kind}: nothing counted for ${STALL_MS / 1000} s, giving up (${counted}/${result.ok})`);
        break;
      }
    }
    await sleep(POLL_MS);
  }
  const result = await loading;
  const wall = doneMs / 1000;
  const cpu1 = { worker: cpuSeconds(ctx.worker.pid), ingest: cpuSeconds(ctx.ingest.pid), machine: machineBusySeconds() };
  const postgresSeconds = backendCpuUsed(backends0, await backendCpu(ctx.pgc, DB_NAME));
  const used = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
  const pct = (seconds: number | null) => (seconds === null ? null : (seconds / wall) * 100);
  const perItem = (seconds: number | null) => (seconds === null ? null : (seconds * 1e6) / n);
  const cpuPct = {
    worker: pct(used(cpu0.worker, cpu1.worker)),
    ingest: pct(used(cpu0.ingest, cpu1.ingest)),
    machine: pct(used(cpu0.machine, cpu1.machine)),
  };
  const cpuUsPerItem = {
    worker: perItem(used(cpu0.worker, cpu1.worker)),
    ingest: perItem(used(cpu0.ingest, cpu1.ingest)),
    postgres: perItem(postgresSeconds)!,
  };
  const checks: Record<string, boolean> = { completed, noNon2xx: result.non2xx === 0 && result.errors === 0 && load.sent === n };
  if (kind === "transactions") {
    const { rows } = await ctx.pgc.query<{ rows: string; groups: string; stats: string }>(
      `select (select count(*) from transactions where project_id = $1) as rows,
              (select count(*) from transaction_groups where project_id = $1) as groups,
              (select coalesce(sum(count), 0) from transaction_stats where project_id = $1 and resolution = 'd') as stats`,
      [tenant.projectId],
    );
    checks.rows = Number(rows[0]!.rows) === n;
    checks.groups = Number(rows[0]!.groups) === Math.min(ROUTES, n);
    checks.dailyStats = Number(rows[0]!.stats) === n;
  } else {
    checks.timesSeen = counted === n;
  }
  return {
    kind,
    n,
    bodyBytes,
    ok: result.ok,
    non2xx: result.non2xx,
    completed,
    seconds: wall,
    ingestRate: result.ok / (ingestMs / 1000),
    e2eRate: completed ? n / wall : 0,
    cpuPct,
    cpuUsPerItem,
    checks,
  };
}

const fmt = (v: number | null, digits = 0) => (v === null ? "-" : v.toFixed(digits));

async function main(): Promise<number> {
  const started = Date.now();
  log(`transactions benchmark: ${ROUNDS} round(s) of ${N} transactions (${SPANS} spans) and ${BASELINE_N} error events; ${CONNECTIONS} connections`);
  log(`machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), node ${process.version}; everything shares them`);
  const redis = new Redis(opts["redis-url"], { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on("error", () => {});
  await redis.connect();
  cleanups.push(async () => {
    log(`redis: removed ${await deleteKeys(redis, `${PREFIX}:*`)} keys under ${PREFIX}:`);
    redis.disconnect();
  });
  cleanups.push(async () => {
    await dropDatabase(adminUrl.href, DB_NAME);
    log(`database ${DB_NAME} dropped`);
  });
  await migrate(dbUrl.href);
  log(`database ${DB_NAME} on ${redact(adminUrl)}: migrated`);
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

  const bundles = await workerBundles({ skipBuild: opts["skip-build"], profileDir: opts["cpu-prof"] ? PROFILE_DIR : undefined });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `errorhub-tbench-${process.pid}-`));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const ingestPort = await freePort();
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: "production",
    DATABASE_URL: dbUrl.href,
    REDIS_URL: opts["redis-url"],
    REDIS_PREFIX: PREFIX,
    INGEST_PORT: String(ingestPort),
    LOG_LEVEL: "info",
    INGEST_LOG_SAMPLE_RATE: "0",
    AUTH_SECRET: randomBytes(32).toString("hex"),
    DATA_DIR: dataDir,
    DEFAULT_MONTHLY_ERROR_QUOTA: "0",
    SPIKE_PROTECTION_HOURLY_LIMIT: "0",
    APP_URL: "http://127.0.0.1:3000",
  };
  cleanups.push(async () => {
    await Promise.all(runningChildren().map((child) => stopChild(child)));
  });
  const flags = (service: "ingest" | "worker") => productionFlags(service).split(/\s+/).filter(Boolean);
  const ingest = await startNode("ingest", [...flags("ingest"), bundles.ingest], { cwd: ROOT, env, ready: /ingest listening/ });
  const profile = path.join(PROFILE_DIR, `worker-${process.pid}.cpuprofile`);
  const worker = await startNode(
    "worker",
    [
      ...(opts["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${path.basename(profile)}`] : []),
      ...flags("worker"),
      bundles.worker,
    ],
    { cwd: ROOT, env, ready: /worker started/ },
  );
  log(`ingest: ${bundles.label.ingest}, pid ${ingest.pid}; worker: ${bundles.label.worker}, pid ${worker.pid}`);
  const pgc = new pg.Client({ connectionString: dbUrl.href });
  await pgc.connect();
  cleanups.push(() => pgc.end());
  const ctx: Ctx = { pgc, ingest, worker, ingestUrl: `http://127.0.0.1:${ingestPort}`, ingestPort };

  if (WARMUP > 0) {
    const warm = [await flood(ctx, "transactions", WARMUP, true), await flood(ctx, "errors", WARMUP, true)];
    log(`warm-up: ${warm.map((w) => `${w.kind} ${fmt(w.e2eRate)}/s`).join(", ")} (not part of the results)`);
  }
  const floods: Flood[] = [];
  const speed = { before: machineSpeedMs(), after: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const order: Kind[] = round % 2 === 0 ? ["transactions", "errors"] : ["errors", "transactions"];
    for (const kind of order) {
      const result = await flood(ctx, kind, kind === "transactions" ? N : BASELINE_N);
      log(
        `${kind}: ${fmt(result.e2eRate)}/s end to end (${result.seconds.toFixed(1)} s; ingest ${fmt(result.ingestRate)}/s); ` +
          `CPU worker ${fmt(result.cpuPct.worker)}% (${fmt(result.cpuUsPerItem.worker)} µs/item), ingest ${fmt(result.cpuPct.ingest)}% ` +
          `(${fmt(result.cpuUsPerItem.ingest)} µs/item), Postgres ${fmt(result.cpuUsPerItem.postgres)} µs/item, machine ${fmt(result.cpuPct.machine)}%; ` +
          `checks ${Object.entries(result.checks).map(([k, v]) => `${k} ${v ? "ok" : "FAILED"}`).join(", ")}`,
      );
      floods.push(result);
    }
  }
  speed.after = machineSpeedMs();
  await stopChild(worker);
  await stopChild(ingest);
  if (opts["cpu-prof"])
    console.log(`\nworker cpu profile: ${existsSync(profile) ? profile : "(not written)"}  ->  tsx tests/bench/cpuprofile-top.ts ${profile}`);

  const median = (kind: Kind) => {
    const rates = floods.filter((f) => f.kind === kind).map((f) => f.e2eRate).sort((a, b) => a - b);
    return rates[rates.length >> 1]!;
  };
  const medianCpu = (kind: Kind, of: "worker" | "ingest" | "postgres") => {
    const values = floods.filter((f) => f.kind === kind).map((f) => f.cpuUsPerItem[of] ?? Number.NaN).sort((a, b) => a - b);
    return values[values.length >> 1]!;
  };
  const txRate = median("transactions");
  const errorRate = median("errors");
  const ratio = errorRate > 0 ? txRate / errorRate : null;
  const checksOk = floods.every((f) => Object.values(f.checks).every(Boolean));
  const pass = txRate >= TARGET;
  console.log("\nsummary (medians over the rounds)");
  printRows([
    ["figure", "value", "target", "result"],
    ["transactions/s end to end", fmt(txRate), `>= ${TARGET}`, mark(pass)],
    ["error events/s end to end (baseline)", fmt(errorRate), "", ""],
    ["transactions / error events", fmt(ratio, 3), "", ""],
    ["worker CPU µs per transaction / per error event", `${fmt(medianCpu("transactions", "worker"))} / ${fmt(medianCpu("errors", "worker"))}`, "", ""],
    ["ingest CPU µs per transaction / per error event", `${fmt(medianCpu("transactions", "ingest"))} / ${fmt(medianCpu("errors", "ingest"))}`, "", ""],
    ["Postgres CPU µs per transaction / per error event", `${fmt(medianCpu("transactions", "postgres"))} / ${fmt(medianCpu("errors", "postgres"))}`, "", ""],
    ["correctness checks", checksOk ? "ok" : "failed", "all ok", mark(checksOk)],
  ]);
  console.log(
    JSON.stringify({
      bench: "transactions",
      at: new Date(started).toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim(), node: process.version, speedMs: speed },
      worker: bundles.label.worker,
      cpu_profiled: opts["cpu-prof"],
      db_sql: opts["db-sql"].length > 0 ? opts["db-sql"] : undefined,
      spans: SPANS,
      connections: CONNECTIONS,
      floods: floods.map((f) => ({ ...f, e2eRate: Math.round(f.e2eRate), ingestRate: Math.round(f.ingestRate) })),
      transactions_per_s: Math.round(txRate),
      errors_per_s: Math.round(errorRate),
      ratio,
      pass,
      checks_ok: checksOk,
    }),
  );
  return checksOk ? 0 : 1;
}

await runBench(main, () => {
  for (const load of activeLoads) load.stop();
});
