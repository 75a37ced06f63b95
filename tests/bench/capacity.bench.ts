/**
 * Capacity benchmark (a script, not a vitest test): the per-event costs CAPACITY.md's model is
 * built from, measured on this machine.
 *
 *   npm run bench:capacity -- [--low N] [--high N]
 *
 * Runs bench:processing's small scenario (distinct ~2.5 KB error events over 100 issue shapes,
 * 50 connections) twice, with --low and --high events, on a private PostgreSQL and a private
 * redis-server (capacity-servers.ts), with the worker held while sending (--hold-worker): every
 * event is in Redis's backlog at once, then the worker drains it alone. Per run it reads CPU
 * seconds of ingest, worker, PostgreSQL and Redis, WAL bytes PostgreSQL wrote, the bench
 * database's size and Redis's memory at the backlog's peak. Per-event costs are the
 * *differences* between the two runs divided by the difference in events: migrations, the
 * warm-up tenant, process start-up and connection set-up cost the same in both and drop out.
 * Redis memory per backlog entry is the high run's peak over its start, divided by its events.
 *
 * Prints the costs and the projection for 1k, 10k and 100k events/s (cores at 70% busy, disk
 * writes, storage per day, Redis memory for a 5-minute backlog) and one JSON line.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { ROOT } from "./build";
import { type Role, RoleCpu, startPostgres, startRedis } from "./capacity-servers";
import { log, printRows, runBench } from "./harness";

const { values: opts } = parseArgs({
  options: {
    low: { type: "string", default: "20000" },
    high: { type: "string", default: "80000" },
    help: { type: "boolean", default: false },
  },
});
if (opts.help) {
  console.log("usage: npm run bench:capacity -- [--low N (20000)] [--high N (80000)]");
  process.exit(0);
}
const LOW = Number(opts.low);
const HIGH = Number(opts.high);
if (!(LOW >= 1000 && HIGH >= LOW + 10_000)) throw new Error("--low must be >= 1000 and --high at least 10000 more");

const UTILIZATION = 0.7;
const RATES = [1_000, 10_000, 100_000];
const BACKLOG_SECONDS = 300;

type Run = {
  events: number;
  e2eRate: number;
  checksOk: boolean;
  cpu: Record<Role, number>;
  walBytes: number;
  dbBytes: number;
  redisPeakBytes: number;
};

async function main(): Promise<number> {
  log(`capacity benchmark; ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  const postgres = await startPostgres();
  const redis = await startRedis();
  const runs: Run[] = [];
  for (const events of [LOW, HIGH]) runs.push(await measure(events, postgres, redis));
  return report(runs[0]!, runs[1]!);
}

async function measure(events: number, postgres: { url: string; pid: number }, redisServer: { url: string; pid: number }): Promise<Run> {
  const db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
  const redis = new Redis(redisServer.url);
  const lsn = async () => (await db.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn")).rows[0]!.lsn;
  const walStart = await lsn();
  const redisStart = await usedMemory(redis);
  let redisPeak = redisStart;
  let dbPeak = 0;
  const poll = setInterval(() => {
    void usedMemory(redis).then((bytes) => (redisPeak = Math.max(redisPeak, bytes)), () => {});
    void db
      .query<{ bytes: string }>("select coalesce(sum(pg_database_size(datname)), 0)::text as bytes from pg_database where datname like 'errorhub_pbench_%'")
      .then((r) => (dbPeak = Math.max(dbPeak, Number(r.rows[0]!.bytes))), () => {});
  }, 100);
  const cpu = new RoleCpu(postgres.pid, redisServer.pid);
  cpu.start();
  const json = await processingBench(events, postgres.url, redisServer.url);
  const used = cpu.stop();
  clearInterval(poll);
  const walBytes = Number((await db.query<{ d: string }>("select pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::text as d", [walStart])).rows[0]!.d);
  await db.end();
  redis.disconnect();
  const scenario = json.scenarios[0]!;
  const checksOk = Object.values(scenario.checks).every(Boolean);
  log(
    `${events} events: ${scenario.e2e_rate}/s end to end, checks ${checksOk ? "ok" : "FAILED"}; CPU s ingest ${used.ingest.toFixed(1)}, worker ${used.worker.toFixed(1)}, ` +
      `postgres ${used.postgres.toFixed(1)}, redis ${used.redis.toFixed(1)}; WAL ${(walBytes / 2 ** 20).toFixed(0)} MB; database ${(dbPeak / 2 ** 20).toFixed(0)} MB; ` +
      `Redis peak +${((redisPeak - redisStart) / 2 ** 20).toFixed(0)} MB`,
  );
  return { events, e2eRate: scenario.e2e_rate, checksOk, cpu: used, walBytes, dbBytes: dbPeak, redisPeakBytes: redisPeak - redisStart };
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1] ?? 0);
}

type ProcessingJson = { scenarios: { e2e_rate: number; checks: Record<string, boolean> }[] };

/** bench:processing's small scenario, worker held while sending, on the private servers. */
async function processingBench(events: number, pgUrl: string, redisUrl: string): Promise<ProcessingJson> {
  const args = ["tsx", "tests/bench/processing.bench.ts", "--scenarios", "small", "--hold-worker", "--small-n", String(events)];
  const child = spawn("npx", [...args, "--pg-url", pgUrl, "--redis-url", redisUrl], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const line = output.split("\n").find((l) => l.startsWith('{"bench":"processing"'));
  if (code !== 0 || !line) throw new Error(`bench:processing failed (exit ${code}):\n${output.slice(-2000)}`);
  return JSON.parse(line) as ProcessingJson;
}

function report(low: Run, high: Run): number {
  const n = high.events - low.events;
  const perEvent = {
    cpuUs: Object.fromEntries((["ingest", "worker", "postgres", "redis"] as Role[]).map((r) => [r, ((high.cpu[r] - low.cpu[r]) / n) * 1e6])) as Record<Role, number>,
    walBytes: (high.walBytes - low.walBytes) / n,
    dbBytes: (high.dbBytes - low.dbBytes) / n,
    redisBacklogBytes: high.redisPeakBytes / high.events,
  };
  console.log("");
  console.log(`per event (the difference of a ${high.events}- and a ${low.events}-event run, divided by ${n})`);
  printRows([
    ["cost", "per event"],
    ...Object.entries(perEvent.cpuUs).map(([role, us]) => [`${role} CPU`, `${us.toFixed(0)} µs`]),
    ["PostgreSQL WAL written", `${(perEvent.walBytes / 1024).toFixed(2)} KiB`],
    ["PostgreSQL database growth", `${(perEvent.dbBytes / 1024).toFixed(2)} KiB`],
    ["Redis memory per backlog entry", `${(perEvent.redisBacklogBytes / 1024).toFixed(2)} KiB`],
  ]);
  console.log("");
  console.log(`projection: cores at ${UTILIZATION * 100}% busy; disk writes = WAL (the heap's own writes come on top, about as much again at checkpoints)`);
  const rows = [["events/s", "ingest cores", "worker cores", "PostgreSQL cores", "Redis cores", "WAL MB/s", "storage GB/day", `Redis GB, ${BACKLOG_SECONDS / 60} min backlog`]];
  for (const rate of RATES) {
    const cores = (role: Role) => ((rate * perEvent.cpuUs[role]) / 1e6 / UTILIZATION).toFixed(1);
    rows.push([
      String(rate),
      cores("ingest"),
      cores("worker"),
      cores("postgres"),
      cores("redis"),
      ((rate * perEvent.walBytes) / 2 ** 20).toFixed(1),
      ((rate * 86_400 * perEvent.dbBytes) / 2 ** 30).toFixed(0),
      ((rate * BACKLOG_SECONDS * perEvent.redisBacklogBytes) / 2 ** 30).toFixed(1),
    ]);
  }
  printRows(rows);
  const ok = low.checksOk && high.checksOk;
  console.log("");
  console.log(JSON.stringify({ bench: "capacity", at: new Date().toISOString(), load: os.loadavg(), runs: [low, high], perEvent, checks_ok: ok }));
  return ok ? 0 : 1;
}

await runBench(main);
