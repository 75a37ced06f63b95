/**
 * Ingest throughput benchmark (a script, not a vitest test):
 *
 *   npm run bench:ingest -- [--duration 10] [--warmup 2] [--cpu-prof] [--help for all options]
 *
 * Sends realistic 2-3 KB error envelopes (a pool of 20000 distinct ones, each request stamped
 * with an event id never sent before) over 50 keep-alive connections, no pipelining, from
 * the load generator in this process (tests/bench/load.ts), against the ingest server (the production bundle,
 * dist/workers/ingest.js, rebuilt when older than the sources) and against a bare node:http
 * server that only reads the body and answers (tests/bench/bare-server.mjs). Runs alternate
 * bare, ingest, bare so machine noise shows; each measured run follows its own warm-up. Before
 * the runs, a check confirms that the stream holds one distinct event id per request. Reports
 * rates, the ratio ingest/bare (mean of the bare runs), latencies, non-2xx answers, the
 * ingest's RSS (max of /proc/<pid>/status VmRSS while loaded) and CPU per process, then one
 * JSON line. Exit code 1 when any answer was not 200 or the check failed (targets missed: 0).
 *
 * Needs PostgreSQL (default postgresql://postgres@127.0.0.1:5432, --pg-url) and Redis
 * (default redis://127.0.0.1:6379, --redis-url). Uses a fresh database errorhub_bench_<pid>
 * and the Redis prefix bench<pid>, both removed at the end. Nothing consumes the ingest
 * streams yet, so a sink in this process trims the project's stream every 50 ms (XTRIM
 * MAXLEN 1000), as a worker would keep it short; without it ingest would answer 429 once the
 * backlog bound is reached.
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { parseEntry } from "../../lib/events/stream";
import { migrate } from "../../lib/migrate";
import { ROOT, buildBundles, deleteKeys, dropDatabase, laneStreamKeys, newestSource, productionFlags } from "./build";
import { Load, type LoadResult } from "./load";
import { buildPool } from "./payloads";
import {
  type Child,
  cpuSeconds,
  freePort,
  machineBusySeconds,
  rssMb,
  runningChildren,
  sleep,
  startNode,
  stopChild,
} from "./procs";
import { cleanups, log, redact, runBench } from "./harness";

const BUNDLE = path.join(ROOT, "dist/workers/ingest.js");
// The flags `npm run start:ingest` runs ingest with (a heap cap keeps RSS under 200 MB).
const PRODUCTION_INGEST_FLAGS = productionFlags("ingest");
const TARGETS = { ratio: 0.3, p99Ms: 50, rssMb: 200 };
const SINK_INTERVAL_MS = 50;
const SINK_MAXLEN = 1000;
const RSS_SAMPLE_MS = 200;
/** Above this much CPU used by other processes, a run is flagged as noisy. */
const NOISY_OTHER_CPU_PCT = 30;
/** With --cpu-prof: the source-mapped bundle and the profile go here (kept after the run). */
const PROFILE_DIR = path.join(os.tmpdir(), `errorhub-bench-prof-${process.pid}`);

const { values: opts } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "50" },
    pool: { type: "string", default: "20000" },
    "check-requests": { type: "string", default: "10000" },
    source: { type: "boolean", default: false },
    "skip-build": { type: "boolean", default: false },
    "cpu-prof": { type: "boolean", default: false },
    "ingest-flags": { type: "string", default: PRODUCTION_INGEST_FLAGS },
    "ingest-script": { type: "string" },
    "ingest-env": { type: "string", multiple: true, default: [] },
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log(`usage: tsx tests/bench/ingest.bench.ts [options]
  --duration S        seconds per measured run (default 10)
  --warmup S          seconds of warm-up before each measured run (default 2)
  --connections N     concurrent keep-alive connections (default 50)
  --pool N            distinct pre-built envelopes cycled through (default 20000)
  --check-requests N  requests in the distinct-event-id check before the runs (default 10000, 0 = skip)
  --source            run workers/ingest.ts through tsx instead of the production bundle
  --skip-build        use dist/workers/ingest.js as it is, even if older than the sources
  --cpu-prof          profile the ingest (V8 --cpu-prof, on a source-mapped build of the
                      bundle); summarise with: tsx tests/bench/cpuprofile-top.ts <file>
  --ingest-script F   run this ingest entry instead (e.g. a bundle of a candidate change, built
                      outside the project; packages resolve from a node_modules next to it)
  --ingest-flags=F    extra node flags for the ingest (e.g. --ingest-flags=--trace-gc); its output
                      tail is printed
  --ingest-env K=V    extra environment variable for the ingest (repeatable), e.g. MALLOC_ARENA_MAX=2
  --pg-url URL        PostgreSQL server to create the bench database on
  --redis-url URL     Redis server (keys under the prefix bench<pid>, removed at the end)`);
  process.exit(0);
}

const positive = (name: string, value: string, allowZero = false) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0))
    throw new Error(`--${name} must be a positive number`);
  return n;
};
const DURATION = positive("duration", opts.duration);
const WARMUP = positive("warmup", opts.warmup, true);
const CONNECTIONS = Math.round(positive("connections", opts.connections));
const POOL_SIZE = Math.round(positive("pool", opts.pool));
const CHECK_REQUESTS = Math.round(positive("check-requests", opts["check-requests"], true));
// An entry is rewritten in place when it comes round again: by then its last request must be
// answered, which holds when the pool is well larger than the requests in flight.
if (POOL_SIZE < 2 * CONNECTIONS)
  throw new Error(`--pool must be at least twice --connections (${2 * CONNECTIONS})`);
// The check keeps every entry in the stream: stay well below ingest's backlog bound (100000).
if (CHECK_REQUESTS > 50_000) throw new Error("--check-requests must be at most 50000");

const PREFIX = `bench${process.pid}`;
const DB_NAME = `errorhub_bench_${process.pid}`;
const adminUrl = new URL(opts["pg-url"]);
const dbUrl = new URL(opts["pg-url"]);
dbUrl.pathname = `/${DB_NAME}`;
const REDIS_URL = opts["redis-url"];

type RunResult = {
  label: string;
  target: "bare" | "ingest";
  seconds: number;
  requests: number;
  ok: number;
  rate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  serverRssMaxMb: number | null;
  serverCpuPct: number | null;
  redisCpuPct: number | null;
  loadgenCpuPct: number;
  machineCpuPct: number | null;
  /** machine minus server, Redis and load generator: whatever else ran (noise) */
  otherCpuPct: number | null;
};

// ---------------------------------------------------------------------------------------------
// Cleanup, whatever happens: children stopped by PID, Redis keys and the database removed.

let currentLoad: Load | undefined;

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const started = Date.now();
  log(
    `ingest benchmark: ${CONNECTIONS} connections, no pipelining, ${WARMUP} s warm-up + ${DURATION} s per run, runs: bare, ingest, bare`,
  );
  log(
    `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), node ${process.version}; load generator, servers and Redis share them`,
  );

  // Redis and Postgres first, so a missing dependency fails before anything is built.
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on("error", () => {});
  await redis.connect().catch((error: Error) => {
    throw new Error(`no Redis at ${REDIS_URL}: ${error.message}`);
  });
  cleanups.push(async () => {
    await deleteKeys(redis, `${PREFIX}:*`);
    redis.disconnect();
  });
  const admin = new pg.Client({ connectionString: adminUrl.href });
  await admin.connect().catch((error: Error) => {
    throw new Error(`no PostgreSQL at ${redact(adminUrl)}: ${error.message}`);
  });
  await admin.end();

  cleanups.push(() => dropDatabase(adminUrl.href, DB_NAME));
  await migrate(dbUrl.href);
  const key = await createProjectKey();
  log(`database ${DB_NAME}: migrated; project ${key.projectId}, key ${key.publicKey}`);

  const ingestScript = await ingestEntry();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `errorhub-bench-${process.pid}-`));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

  const [ingestPort, barePort] = [await freePort(), await freePort()];
  const childEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? os.tmpdir(),
  };
  cleanups.push(async () => {
    await Promise.all(runningChildren().map((child) => stopChild(child)));
  });
  const profileDir = PROFILE_DIR;
  const ingest = await startNode(
    "ingest",
    [
      ...(opts.source ? ["--import", "tsx"] : []),
      ...(opts["cpu-prof"]
        ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=ingest-${process.pid}.cpuprofile`]
        : []),
      ...opts["ingest-flags"].split(/\s+/).filter(Boolean),
      ingestScript.file,
    ],
    {
      cwd: ROOT,
      env: {
        ...childEnv,
        NODE_ENV: "production",
        DATABASE_URL: dbUrl.href,
        REDIS_URL,
        REDIS_PREFIX: PREFIX,
        INGEST_PORT: String(ingestPort),
        LOG_LEVEL: "info",
        INGEST_LOG_SAMPLE_RATE: "0",
        AUTH_SECRET: randomBytes(32).toString("hex"),
        DATA_DIR: dataDir,
        DEFAULT_MONTHLY_ERROR_QUOTA: "0",
        SPIKE_PROTECTION_HOURLY_LIMIT: "0",
        ...Object.fromEntries(
          opts["ingest-env"].map((pair) => {
            const eq = pair.indexOf("=");
            if (eq < 1) throw new Error(`--ingest-env wants KEY=VALUE, got ${pair}`);
            return [pair.slice(0, eq), pair.slice(eq + 1)];
          }),
        ),
      },
      ready: /ingest listening/,
    },
  );
  const bare = await startNode("bare", [path.join(ROOT, "tests/bench/bare-server.mjs")], {
    cwd: ROOT,
    env: { ...childEnv, BARE_PORT: String(barePort) },
    ready: /bare listening/,
  });
  log(
    `ingest: ${ingestScript.label}, pid ${ingest.pid}, 127.0.0.1:${ingestPort}; bare: pid ${bare.pid}, 127.0.0.1:${barePort}`,
  );

  const ingestUrl = `http://127.0.0.1:${ingestPort}`;
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const requestPath = `/api/${key.projectId}/envelope/?sentry_key=${key.publicKey}&sentry_version=7&sentry_client=sentry.javascript.node%2F11.12.0`;
  const dsn = `http://${key.publicKey}@127.0.0.1:${ingestPort}/${key.projectId}`;

  const poolStarted = Date.now();
  const pool = buildPool(POOL_SIZE, dsn, key.publicKey);
  const sizes = pool.map((e) => e.body.length);
  const bodyBytes = {
    min: Math.min(...sizes),
    max: Math.max(...sizes),
    avg: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
  };
  log(
    `payloads: ${POOL_SIZE} distinct envelopes, ${bodyBytes.min}-${bodyBytes.max} bytes (avg ${bodyBytes.avg}), built in ${Date.now() - poolStarted} ms; every request gets a fresh event id`,
  );

  const load = new Load(pool, requestPath, CONNECTIONS);
  currentLoad = load;
  log(
    "load generator: tests/bench/load.ts in this process, pre-built request bytes",
  );
  const streamKeys = laneStreamKeys(PREFIX, key.projectId);
  const ingestIdleRss = rssMb(ingest.pid);

  // A quick check that bodies really differ per request: with the sink off, the stream must
  // hold one entry per accepted request, each with a distinct event id, and each answer must
  // name the id that was sent.
  let check: Awaited<ReturnType<typeof checkDistinct>> | null = null;
  if (CHECK_REQUESTS > 0) {
    check = await checkDistinct(load, redis, ingestUrl, streamKeys);
    log(
      `check: ${check.sent} requests, ${check.ok} answered 200, ${check.streamEntries} stream entries, ` +
        `${check.distinctIds} distinct event ids (all sent: ${check.allSent}), ${check.idMismatches} answers naming another id -> ${check.pass ? "OK" : "FAILED"}`,
    );
  }

  const sink = new Sink(redis, streamKeys);
  sink.start();
  cleanups.push(() => sink.stop());
  log(
    `sink: trims ${streamKeys.join(" and ")} to ${SINK_MAXLEN} entries each every ${SINK_INTERVAL_MS} ms (stands in for the worker)`,
  );

  const runs: RunResult[] = [];
  const warmups: { label: string; non2xx: number; errors: number }[] = [];
  const plan: { label: string; target: "bare" | "ingest"; url: string; child: Child }[] = [
    { label: "1 bare", target: "bare", url: bareUrl, child: bare },
    { label: "2 ingest", target: "ingest", url: ingestUrl, child: ingest },
    { label: "3 bare", target: "bare", url: bareUrl, child: bare },
  ];
  for (const step of plan) {
    if (WARMUP > 0) {
      const warm = await load.run(step.url, { duration: WARMUP });
      warmups.push({ label: step.label, non2xx: warm.non2xx, errors: warm.errors });
    }
    const run = await measure(load, redis, step.label, step.target, step.url, step.child);
    runs.push(run);
    log(
      `run ${run.label.padEnd(8)} ${fmt(run.rate, 0).padStart(7)} /s  p50 ${run.p50} ms  p99 ${run.p99} ms  non-2xx ${run.non2xx}  errors ${run.errors}` +
        (run.target === "ingest" ? `  RSS max ${fmt(run.serverRssMaxMb, 1)} MB` : ""),
    );
    await sleep(500);
  }
  await sink.stop();
  const finalLen = await totalLength(redis, streamKeys);
  const ingestEndRss = rssMb(ingest.pid);

  // ------------------------------------------------------------------------------------------
  const bareRuns = runs.filter((r) => r.target === "bare");
  const ingestRun = runs.find((r) => r.target === "ingest")!;
  const bareMean = bareRuns.reduce((a, r) => a + r.rate, 0) / bareRuns.length;
  const ratio = ingestRun.rate / bareMean;
  const non2xx = runs.reduce((a, r) => a + r.non2xx, 0) + warmups.reduce((a, w) => a + w.non2xx, 0);
  const errors = runs.reduce((a, r) => a + r.errors, 0) + warmups.reduce((a, w) => a + w.errors, 0);
  const pass = {
    ratio: ratio >= TARGETS.ratio,
    p99: ingestRun.p99 < TARGETS.p99Ms,
    rss: ingestRun.serverRssMaxMb !== null && ingestRun.serverRssMaxMb < TARGETS.rssMb,
    no_non2xx: non2xx === 0 && errors === 0,
    distinct_ids: check ? check.pass : null,
  };

  console.log("");
  printTable(runs);
  console.log("");
  console.log(
    `rate = 200 answers per second of the measured run (warm-up excluded); CPU% = CPU seconds / wall seconds (${os.cpus().length * 100}% = all cores); other = machine-wide process CPU (irq/softirq excluded, steal included) minus server, redis and loadgen: noise from other processes (about ±15 points of accounting skew from loopback softirq time)`,
  );
  console.log(
    `sink: XTRIM MAXLEN ${SINK_MAXLEN} every ${SINK_INTERVAL_MS} ms removed ${sink.trimmed} entries, longest stream seen ${sink.maxLen}, ${finalLen} left at the end${sink.failures ? `, ${sink.failures} failed trims` : ""}`,
  );
  const noisy = runs.filter((r) => (r.otherCpuPct ?? 0) > NOISY_OTHER_CPU_PCT);
  if (noisy.length > 0) {
    console.log(
      `WARNING: other processes used over ${NOISY_OTHER_CPU_PCT}% CPU during run(s) ${noisy.map((r) => r.label).join(", ")}: their rates are low for reasons outside the bench; rerun on a quiet machine`,
    );
  }
  console.log(`non-2xx answers (warm-ups included): ${non2xx}; socket errors/timeouts: ${errors}`);
  console.log(
    `ingest RSS: ${fmt(ingestIdleRss, 1)} MB idle after start, max ${fmt(ingestRun.serverRssMaxMb, 1)} MB during its run, ${fmt(ingestEndRss, 1)} MB at the end`,
  );
  console.log("");
  const mark = (ok: boolean | null) => (ok === null ? "skipped" : ok ? "PASS" : "FAIL");
  console.log(`bare mean      ${fmt(bareMean, 0)} /s (runs 1 and 3)`);
  console.log(`ingest         ${fmt(ingestRun.rate, 0)} /s`);
  console.log(
    `ratio          ${fmt(ratio, 3)}   target >= ${TARGETS.ratio}   ${mark(pass.ratio)}${noisy.length > 0 ? " (unreliable: noisy runs, see WARNING)" : ""}`,
  );
  const bareCpu = bareRuns.map(cpuPerRequest).filter((v): v is number => v !== null);
  const ingestCpu = cpuPerRequest(ingestRun);
  const cpuRatio =
    bareCpu.length > 0 && ingestCpu ? bareCpu.reduce((a, b) => a + b, 0) / bareCpu.length / ingestCpu : null;
  console.log(
    `CPU ratio      ${fmt(cpuRatio, 3)}   (bare server CPU per request / ingest's: a noise-resistant cross-check of the ratio, not the target)`,
  );
  console.log(`ingest p99     ${ingestRun.p99} ms   target < ${TARGETS.p99Ms} ms   ${mark(pass.p99)}`);
  console.log(
    `ingest RSS max ${fmt(ingestRun.serverRssMaxMb, 1)} MB   target < ${TARGETS.rssMb} MB   ${mark(pass.rss)}`,
  );
  console.log(`non-2xx        ${non2xx}   target 0   ${mark(pass.no_non2xx)}`);
  console.log(
    `distinct ids   ${check ? `${check.distinctIds}/${check.sent}` : "-"}   ${mark(pass.distinct_ids)}`,
  );
  if (opts["cpu-prof"])
    console.log(`\nNOTE: the ingest ran under --cpu-prof: its figures include the profiler's overhead.`);

  await stopChild(ingest);
  await stopChild(bare);
  if (opts["ingest-flags"] !== PRODUCTION_INGEST_FLAGS) {
    console.log(`\n--- ingest output, last 40 lines (ran with ${opts["ingest-flags"]}) ---`);
    console.log(ingest.output().trimEnd().split("\n").slice(-40).join("\n"));
  }
  if (opts["cpu-prof"]) {
    const file = path.join(profileDir, `ingest-${process.pid}.cpuprofile`);
    console.log(
      `cpu profile: ${existsSync(file) ? file : "(not written)"}  ->  tsx tests/bench/cpuprofile-top.ts ${file}`,
    );
  }

  console.log("");
  console.log(
    JSON.stringify({
      bench: "ingest",
      at: new Date(started).toISOString(),
      ingest: ingestScript.label,
      connections: CONNECTIONS,
      pipelining: 1,
      duration_s: DURATION,
      warmup_s: WARMUP,
      body_bytes: bodyBytes,
      pool: POOL_SIZE,
      loadgen: "tests/bench/load.ts, pre-built requests, 1 process",
      cpu_profiled: opts["cpu-prof"],
      ingest_flags: opts["ingest-flags"] || undefined,
      ingest_env: opts["ingest-env"].length > 0 ? opts["ingest-env"] : undefined,
      runs: runs.map((r) => ({
        run: r.label,
        target: r.target,
        rate: Math.round(r.rate),
        requests: r.requests,
        ok: r.ok,
        p50_ms: r.p50,
        p90_ms: r.p90,
        p99_ms: r.p99,
        max_ms: r.max,
        non2xx: r.non2xx,
        errors: r.errors,
        status: r.statusCodes,
        server_cpu_pct: round(r.serverCpuPct),
        server_cpu_us_per_req: round(cpuPerRequest(r), 0),
        redis_cpu_pct: round(r.redisCpuPct),
        loadgen_cpu_pct: round(r.loadgenCpuPct),
        machine_cpu_pct: round(r.machineCpuPct),
        other_cpu_pct: round(r.otherCpuPct),
        ...(r.target === "ingest" ? { rss_max_mb: round(r.serverRssMaxMb) } : {}),
      })),
      bare_mean: Math.round(bareMean),
      ingest_rate: Math.round(ingestRun.rate),
      ratio: round(ratio, 3),
      ingest_p99_ms: ingestRun.p99,
      ingest_rss_max_mb: round(ingestRun.serverRssMaxMb),
      non2xx,
      errors,
      noisy_runs: noisy.map((r) => r.label),
      cpu_ratio: round(cpuRatio, 3),
      check,
      sink: {
        interval_ms: SINK_INTERVAL_MS,
        maxlen: SINK_MAXLEN,
        trimmed: sink.trimmed,
        max_len: sink.maxLen,
      },
      pass,
    }),
  );
  return pass.no_non2xx && pass.distinct_ids !== false ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------

async function measure(
  load: Load,
  redis: Redis,
  label: string,
  target: "bare" | "ingest",
  url: string,
  child: Child,
): Promise<RunResult> {
  let rssMax: number | null = null;
  const sampleRss = () => {
    const rss = rssMb(child.pid);
    if (rss !== null && (rssMax === null || rss > rssMax)) rssMax = rss;
  };
  sampleRss();
  const sampler = setInterval(sampleRss, RSS_SAMPLE_MS);
  const cpu0 = {
    server: cpuSeconds(child.pid),
    redis: await redisCpu(redis),
    machine: machineBusySeconds(),
    self: process.cpuUsage(),
    at: performance.now(),
  };
  let result: LoadResult;
  try {
    result = await load.run(url, { duration: DURATION });
  } finally {
    clearInterval(sampler);
  }
  sampleRss();
  const wall = (performance.now() - cpu0.at) / 1000;
  const cpu1 = {
    server: cpuSeconds(child.pid),
    redis: await redisCpu(redis),
    machine: machineBusySeconds(),
    self: process.cpuUsage(cpu0.self),
  };
  const pct = (a: number | null, b: number | null) =>
    a === null || b === null ? null : ((b - a) / wall) * 100;
  const serverCpuPct = pct(cpu0.server, cpu1.server);
  const redisCpuPct = pct(cpu0.redis, cpu1.redis);
  const loadgenCpuPct = ((cpu1.self.user + cpu1.self.system) / 1e6 / wall) * 100;
  const machineCpuPct = pct(cpu0.machine, cpu1.machine);
  return {
    label,
    target,
    seconds: result.seconds,
    requests: result.sent,
    ok: result.ok,
    rate: result.ok / result.seconds,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: result.statusCodes,
    serverRssMaxMb: rssMax,
    serverCpuPct,
    redisCpuPct,
    loadgenCpuPct,
    machineCpuPct,
    otherCpuPct:
      machineCpuPct === null
        ? null
        : machineCpuPct - (serverCpuPct ?? 0) - (redisCpuPct ?? 0) - loadgenCpuPct,
  };
}

async function totalLength(redis: Redis, keys: string[]): Promise<number> {
  const lengths = await Promise.all(keys.map((key) => redis.xlen(key)));
  return lengths.reduce((a, b) => a + b, 0);
}

async function checkDistinct(load: Load, redis: Redis, url: string, streamKeys: string[]) {
  await redis.del(...streamKeys);
  const sentIds = new Set<string>();
  let idMismatches = 0;
  const before = load.sent;
  const result = await load.run(url, {
    amount: CHECK_REQUESTS,
    onSent: (id) => sentIds.add(id),
    onAnswer: (status, body, sentId) => {
      if (status !== 200) return;
      try {
        if ((JSON.parse(body) as { id?: string }).id !== sentId) idMismatches++;
      } catch {
        idMismatches++;
      }
    },
  });
  const sent = load.sent - before;
  const streamEntries = await totalLength(redis, streamKeys);
  const ids = new Set<string>();
  let allSent = true;
  for (const streamKey of streamKeys) {
    for (let start = "-"; ; ) {
      const page = await redis.xrangeBuffer(streamKey, start, "+", "COUNT", 2000);
      for (const [id, fields] of page) {
        const { eventId } = parseEntry(id.toString(), fields);
        ids.add(eventId);
        if (!sentIds.has(eventId)) allSent = false;
      }
      if (page.length < 2000) break;
      start = `(${page.at(-1)![0].toString()}`;
    }
  }
  await redis.del(...streamKeys);
  const ok = result.ok;
  return {
    sent,
    ok,
    non2xx: result.non2xx,
    streamEntries,
    distinctIds: ids.size,
    distinctSent: sentIds.size,
    allSent,
    idMismatches,
    pass:
      sent === sentIds.size &&
      ok === sent &&
      streamEntries === ok &&
      ids.size === ok &&
      allSent &&
      idMismatches === 0,
  };
}

/** Keeps the project's lane streams short, as a worker would: XTRIM MAXLEN every 50 ms. */
class Sink {
  trimmed = 0;
  maxLen = 0;
  failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: string[],
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = this.tick()
        .catch(() => {
          this.failures++;
        })
        .finally(() => {
          this.busy = undefined;
        });
    }, SINK_INTERVAL_MS);
  }

  private async tick(): Promise<void> {
    for (const key of this.keys) {
      const [[, len], [, trimmed]] = (await this.redis
        .multi()
        .xlen(key)
        .xtrim(key, "MAXLEN", SINK_MAXLEN)
        .exec()) as [[Error | null, number], [Error | null, number]];
      this.maxLen = Math.max(this.maxLen, len);
      this.trimmed += trimmed;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.busy;
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * The ingest entry to run: the production bundle, dist/workers/ingest.js, rebuilt when missing
 * or older than lib/ and workers/. Only the ingest entry is rebuilt (with build:workers' esbuild
 * flags), so work in progress elsewhere (the worker) cannot stop the benchmark.
 */
async function ingestEntry(): Promise<{ file: string; label: string }> {
  if (opts["ingest-script"])
    return { file: path.resolve(opts["ingest-script"]), label: path.resolve(opts["ingest-script"]) };
  if (opts.source) return { file: path.join(ROOT, "workers/ingest.ts"), label: "workers/ingest.ts via tsx" };
  if (opts["cpu-prof"]) {
    // Plus a source map, so the profile maps to lib/ lines. Built outside the project, with
    // node_modules linked for the external packages, so dist/ stays as it is.
    mkdirSync(PROFILE_DIR, { recursive: true });
    if (!existsSync(path.join(PROFILE_DIR, "node_modules")))
      symlinkSync(path.join(ROOT, "node_modules"), path.join(PROFILE_DIR, "node_modules"));
    await buildBundles(["workers/ingest.ts"], PROFILE_DIR, ["--sourcemap"]);
    const file = path.join(PROFILE_DIR, "ingest.js");
    return { file, label: `${file} (build:workers flags + --sourcemap)` };
  }
  const stale = existsSync(BUNDLE) ? newestSource() > statSync(BUNDLE).mtimeMs : true;
  if (!stale || opts["skip-build"]) {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing (run without --skip-build)`);
    return { file: BUNDLE, label: "dist/workers/ingest.js" };
  }
  log(
    `dist/workers/ingest.js is ${existsSync(BUNDLE) ? "older than lib/ or workers/" : "missing"}: building it`,
  );
  await buildBundles(["workers/ingest.ts"], path.dirname(BUNDLE), []);
  return { file: BUNDLE, label: "dist/workers/ingest.js (rebuilt)" };
}

/** esbuild workers/ingest.ts with the flags of package.json's build:workers script. */

async function createProjectKey(): Promise<{ projectId: number; publicKey: string }> {
  const client = new pg.Client({ connectionString: dbUrl.href });
  await client.connect();
  try {
    const suffix = randomBytes(4).toString("hex");
    const user = await client.query<{ id: number }>("insert into users (email) values ($1) returning id", [
      `bench-${suffix}@example.com`,
    ]);
    const org = await client.query<{ id: number }>(
      "insert into organizations (slug, name) values ($1, $2) returning id",
      [`bench-${suffix}`, "Bench"],
    );
    await client.query("insert into memberships (org_id, user_id, role) values ($1, $2, 'owner')", [
      org.rows[0]!.id,
      user.rows[0]!.id,
    ]);
    const project = await client.query<{ id: number }>(
      "insert into projects (org_id, slug, name, platform) values ($1, $2, $3, 'node') returning id",
      [org.rows[0]!.id, "bench", "Bench"],
    );
    const publicKey = randomBytes(16).toString("hex");
    await client.query("insert into project_keys (project_id, public_key, secret_key) values ($1, $2, $3)", [
      project.rows[0]!.id,
      publicKey,
      randomBytes(16).toString("hex"),
    ]);
    return { projectId: project.rows[0]!.id, publicKey };
  } finally {
    await client.end();
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

function printTable(runs: RunResult[]): void {
  const header = [
    "run",
    "rate/s",
    "requests",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "max ms",
    "non-2xx",
    "errors",
    "server CPU%",
    "server CPU µs/req",
    "redis CPU%",
    "loadgen CPU%",
    "other CPU%",
    "server RSS max MB",
  ];
  const rows = runs.map((r) => [
    r.label,
    fmt(r.rate, 0),
    String(r.requests),
    String(r.p50),
    String(r.p90),
    String(r.p99),
    String(r.max),
    String(r.non2xx),
    String(r.errors),
    fmt(r.serverCpuPct, 0),
    fmt(cpuPerRequest(r), 0),
    fmt(r.redisCpuPct, 0),
    fmt(r.loadgenCpuPct, 0),
    fmt(r.otherCpuPct, 0),
    fmt(r.serverRssMaxMb, 1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

/** Server CPU time per answered request, in µs: less sensitive to machine noise than rates. */
function cpuPerRequest(r: RunResult): number | null {
  return r.serverCpuPct === null || r.rate === 0 ? null : (r.serverCpuPct / 100 / r.rate) * 1e6;
}

function fmt(value: number | null, digits: number): string {
  return value === null ? "-" : value.toFixed(digits);
}

function round(value: number | null, digits = 1): number | null {
  return value === null ? null : Number(value.toFixed(digits));
}

await runBench(main, () => currentLoad?.stop());
