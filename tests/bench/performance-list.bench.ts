/**
 * Transactions-list benchmark (issue #22; a script, not a vitest test):
 *
 *   npm run bench:performance-list -- [--iterations 30] [--help for all options]
 *
 * Seeds a fresh database errorhub_pbench_<pid> (created and migrated with lib/migrate.ts,
 * dropped at the end) with what the worker writes for 10,000,000 transactions over 1,000
 * transaction names and 14 days (tests/bench/performance-seed.ts: groups, hourly and daily
 * stats with sketches encoded by addToSketch, error counts; Zipf traffic, a daily cycle, two
 * environments, a release every two days), plus a second org the tenant filter leaves out. The
 * raw transactions rows are not seeded: the list never reads them.
 *
 * Then it times lib/performance/summaries.ts listTransactionGroups(viewer, query) in process,
 * as the API and the dashboard call it (50 groups a page), case after case round-robin so that
 * machine noise spreads over all of them, against a same-run baseline (a `select 1` round trip
 * on the same pool), and prints p50/p95/max per case, and the mean CPU per call of this process
 * and of the bench database's PostgreSQL backends (which other work on a shared machine moves
 * less than the times). Target: p95 < 200 ms (--target-ms). The
 * phases: with the process's kept figures of sealed buckets (lib/performance/summary-cache.ts)
 * as a dashboard in use has them, "cold" with them forgotten before every call, and "revisit"
 * with those a list FRESH_MS + 1 ms later would no longer use forgotten before every call; then
 * the memory the kept figures take after the lists that fill them (kept MB).
 * It also times what the hourly/daily cut-over decides: reading and merging every group's
 * sketches of periods of 1 to 7 days from hourly rows and from daily rows.
 *
 * Checks (exit 1 when one fails): the seeded hourly and daily counts both equal the
 * transactions generated, each case lists a full page of the org's own groups only, and the
 * first page sorted by p95 is in p95 order. A missed target alone exits 0.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { migrate } from "../../lib/migrate";
import { backendCpu, backendCpuUsed } from "./bench-setup";
import { dropDatabase } from "./build";
import { cleanups, log, mark, percentile, printRows, redact, runBench } from "./harness";
import { type PerfSeededOrg, seedPerformance } from "./performance-seed";
import { machineBusySeconds } from "./procs";

const { values: opts } = parseArgs({
  options: {
    transactions: { type: "string", default: "10000000" },
    names: { type: "string", default: "1000" },
    projects: { type: "string", default: "4" },
    days: { type: "string", default: "14" },
    skew: { type: "string", default: "0.9" },
    iterations: { type: "string", default: "40" },
    warmup: { type: "string", default: "3" },
    "target-ms": { type: "string", default: "200" },
    "cutover-iterations": { type: "string", default: "10" },
    "keep-db": { type: "boolean", default: false },
    "reuse-db": { type: "string" },
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log(`usage: tsx tests/bench/performance-list.bench.ts [options]   (npm run bench:performance-list -- [options])
  --transactions N        transactions of the org under test (default 10000000)
  --names N               its transaction names (default 1000)
  --projects N            its projects (default 4)
  --days N                days of data up to now (default 14)
  --skew S                transactions per name ~ rank^-S (default 0.9)
  --iterations N          timed calls per case (default 40; at least 30)
  --warmup N              untimed calls per case first (default 3)
  --target-ms MS          p95 target per case (default 200)
  --cutover-iterations N  timed reads per period and resolution in the cut-over table (default 10; 0: skip)
  --keep-db               do not drop the bench database (prints its name)
  --reuse-db NAME         measure a database seeded before with --keep-db (not dropped)
  --pg-url URL            PostgreSQL server to create the bench database on`);
  process.exit(0);
}

const int = (name: string, value: string, min = 1) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
};
const TRANSACTIONS = int("transactions", opts.transactions);
const NAMES = int("names", opts.names);
const PROJECTS = int("projects", opts.projects);
const DAYS = int("days", opts.days);
const SKEW = Number(opts.skew);
const ITERATIONS = int("iterations", opts.iterations, 30);
const WARMUP = int("warmup", opts.warmup, 0);
const TARGET_MS = int("target-ms", opts["target-ms"]);
const CUTOVER_ITERATIONS = int("cutover-iterations", opts["cutover-iterations"], 0);
const PER_PAGE = 50;
if (!Number.isFinite(SKEW) || SKEW < 0 || SKEW > 3) throw new Error("--skew must be between 0 and 3");

const DB_NAME = opts["reuse-db"] ?? `errorhub_pbench_${process.pid}`;
const adminUrl = new URL(opts["pg-url"]);
const dbUrl = new URL(opts["pg-url"]);
dbUrl.pathname = `/${DB_NAME}`;

const checks: { name: string; ok: boolean; detail: string }[] = [];
function check(name: string, ok: boolean, detail = ""): void {
  checks.push({ name, ok, detail });
  if (!ok) log(`CHECK FAILED: ${name}${detail ? ` (${detail})` : ""}`);
}

type Stats = { n: number; p50: number; p95: number; max: number };
const summarize = (times: number[]): Stats => {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50)!,
    p95: percentile(sorted, 95)!,
    max: sorted.at(-1)!,
  };
};
const fmt = (v: number, digits = 1) => v.toFixed(digits);

/** Share of the machine's CPU in use while `fn` runs (everything: this bench, PostgreSQL, others). */
async function busy<T>(fn: () => Promise<T>): Promise<{ result: T; machinePct: number | null }> {
  const t0 = performance.now();
  const b0 = machineBusySeconds();
  const result = await fn();
  const b1 = machineBusySeconds();
  const seconds = (performance.now() - t0) / 1000;
  const machinePct = b0 === null || b1 === null ? null : (100 * (b1 - b0)) / (seconds * os.cpus().length);
  return { result, machinePct };
}

async function main(): Promise<number> {
  log(
    `transactions-list benchmark: ${TRANSACTIONS} transactions over ${NAMES} names, ${PROJECTS} projects, ${DAYS} days; ` +
      `${ITERATIONS} iterations per case after ${WARMUP} warm-up, ${PER_PAGE} a page, target p95 < ${TARGET_MS} ms`,
  );
  log(
    `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; PostgreSQL shares them with this process (and others' work)`,
  );
  const admin = new pg.Client({ connectionString: adminUrl.href });
  await admin.connect().catch((error: Error) => {
    throw new Error(`no PostgreSQL at ${redact(adminUrl)}: ${error.message}`);
  });
  const settings = (
    await admin.query<{ name: string; setting: string; unit: string | null }>(
      "select name, setting, unit from pg_settings where name = any($1) order by name",
      [["server_version", "shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather"]],
    )
  ).rows.map((r) => `${r.name}=${r.setting}${r.unit ? ` ${r.unit}` : ""}`);
  await admin.end();
  log(`PostgreSQL ${settings.join(", ")}`);

  // -- database and data -----------------------------------------------------------------------
  const now = new Date();
  let org: PerfSeededOrg;
  /** transactions the seed generated (about --transactions: each name-hour's count is drawn) */
  let generated: number | null = null;
  const client = new pg.Client({ connectionString: dbUrl.href });
  if (opts["reuse-db"]) {
    await client.connect();
    cleanups.push(() => client.end());
    const row = (
      await client.query<{ id: number; owner: number; projects: number[] }>(
        `select o.id, (select id from users where email = 'owner@bench.local') as owner,
           array(select id from projects where org_id = o.id order by id) as projects
         from organizations o where slug = 'bench'`,
      )
    ).rows[0];
    if (!row) throw new Error(`${DB_NAME} has no org bench: not a database this bench seeded`);
    org = { id: row.id, slug: "bench", ownerId: row.owner, projectIds: row.projects };
    log(`reusing database ${DB_NAME} as it is (not seeded, not dropped); its data ends when it was seeded`);
  } else {
    cleanups.push(async () => {
      if (opts["keep-db"]) {
        log(`database ${DB_NAME} kept (--keep-db): rerun with --reuse-db ${DB_NAME}; drop it when done`);
        return;
      }
      await dropDatabase(adminUrl.href, DB_NAME);
      log(`database ${DB_NAME} dropped`);
    });
    await migrate(dbUrl.href);
    await client.connect();
    cleanups.push(() => client.end());
    log(`database ${DB_NAME}: created and migrated; seeding`);
    const seeded = await seedPerformance(client, {
      transactions: TRANSACTIONS,
      names: NAMES,
      projects: PROJECTS,
      days: DAYS,
      skew: SKEW,
      otherTransactions: Math.max(1000, Math.round(TRANSACTIONS / 100)),
      otherNames: Math.max(10, Math.round(NAMES / 20)),
      now,
      log,
    });
    org = seeded.org;
    generated = seeded.transactions;
    log(
      `seeded in ${fmt(seeded.totalMs / 1000)} s: ${seeded.transactions} transactions of the org, ${seeded.hourlyRows} hourly and ` +
        `${seeded.dailyRows} daily stats rows, ${seeded.errorRows} error-count rows (both orgs)`,
    );
  }
  const data = (
    await client.query<{
      resolution: string;
      rows: number;
      transactions: number;
      sketch_keys: number;
      sketch_mb: number;
    }>(
      `select resolution, count(*)::int as rows, sum(count)::float8 as transactions,
         sum(length(sketch) / 3)::float8 as sketch_keys,
         round(sum(pg_column_size(sketch)) / 1048576.0, 1)::float8 as sketch_mb
       from transaction_stats where project_id = any($1::int[]) group by 1 order by 1`,
      [org.projectIds],
    )
  ).rows;
  console.log("");
  printRows([
    ["resolution", "rows", "transactions", "sketch buckets", "keys/row", "sketch MB stored"],
    ...data.map((d) => [
      d.resolution,
      String(d.rows),
      String(d.transactions),
      String(d.sketch_keys),
      fmt(d.sketch_keys / d.rows),
      String(d.sketch_mb),
    ]),
  ]);
  if (generated !== null)
    for (const d of data)
      check(
        `seed: ${d.resolution} rows count every transaction`,
        d.transactions === generated,
        `${d.transactions} of ${generated}`,
      );

  // -- the application's code, on the bench database --------------------------------------------
  process.env.DATABASE_URL = dbUrl.href;
  process.env.AUTH_SECRET ??= randomBytes(32).toString("hex");
  process.env.LOG_LEVEL = "warn";
  const { listTransactionGroups, parseTransactionGroupQuery } = await import(
    "../../lib/performance/summaries"
  );
  const { closeDb, sqlRows } = await import("../../lib/db");
  const { FRESH_MS, expireUnitFigures, forgetUnitFigures, keptFigureBytes } = await import(
    "../../lib/performance/summary-cache"
  );
  cleanups.push(() => closeDb());
  const viewer = { userId: org.ownerId, orgId: org.id, role: "owner" as const };
  const list = (query: string) =>
    listTransactionGroups(
      viewer,
      parseTransactionGroupQuery(new URLSearchParams(`${query}&per_page=${PER_PAGE}`), now.getTime()),
    );

  // Phases: "kept figures" (a dashboard in use: the process keeps sealed buckets' figures and
  // reads only the current hour), "cold" (forgotten before every call: the first view of a
  // period and filter in a process, and the refresh every FRESH_OLD_MS), and "revisit" (the
  // figures a list FRESH_MS + 1 ms later no longer uses forgotten before every call: those of
  // buckets that ended within the last hour or so), each revisit case in a phase of its own
  // as they share buckets.
  type Case = { name: string; query: string; phase: string; run: () => Promise<unknown> };
  const cases: Case[] = [
    ...[
      ["24h -count", "statsPeriod=24h&sort=-count"],
      ["24h -p95", "statsPeriod=24h&sort=-p95"],
      ["14d -p95", "statsPeriod=14d&sort=-p95"],
      ["14d -count", "statsPeriod=14d&sort=-count"],
      // the cut-over: 3 days are read per hour, 4 per day
      ["3d -p95", "statsPeriod=3d&sort=-p95"],
      ["4d -p95", "statsPeriod=4d&sort=-p95"],
      ["24h -count env", "statsPeriod=24h&sort=-count&environment=production"],
      ["24h -p95 env", "statsPeriod=24h&sort=-p95&environment=production"],
      ["14d -p95 env", "statsPeriod=14d&sort=-p95&environment=production"],
      ["24h -failureRate", "statsPeriod=24h&sort=-failureRate"],
    ].map(([name, query]) => ({
      name: name!,
      query: query!,
      phase: "kept figures",
      run: () => list(query!),
    })),
    ...[
      ["24h -count cold", "statsPeriod=24h&sort=-count"],
      ["14d -count cold", "statsPeriod=14d&sort=-count"],
      ["24h -count env cold", "statsPeriod=24h&sort=-count&environment=production"],
      ["14d -count env cold", "statsPeriod=14d&sort=-count&environment=production"],
      ["24h -failureRate cold", "statsPeriod=24h&sort=-failureRate"],
      ["24h -p95 cold", "statsPeriod=24h&sort=-p95"],
      ["14d -p95 cold", "statsPeriod=14d&sort=-p95"],
      ["14d -p95 env cold", "statsPeriod=14d&sort=-p95&environment=production"],
    ].map(([name, query]) => ({
      name: name!,
      query: query!,
      phase: "cold",
      run: () => {
        forgetUnitFigures();
        return list(query!);
      },
    })),
    ...[
      ["24h -p95 revisit", "statsPeriod=24h&sort=-p95"],
      ["14d -p95 revisit", "statsPeriod=14d&sort=-p95"],
    ].map(([name, query]) => ({
      name: name!,
      query: query!,
      phase: name!,
      run: () => {
        expireUnitFigures(Date.now() + FRESH_MS + 1);
        return list(query!);
      },
    })),
  ];

  // Correctness of what is timed: a full page of the org's own groups, p95 order.
  for (const c of cases.filter((k) => k.phase === "kept figures")) {
    const page = await list(c.query);
    const foreign = page.groups.filter((g) => !org.projectIds.includes(Number(g.project.id)));
    check(`${c.name}: a full page`, page.groups.length === PER_PAGE, `${page.groups.length} groups`);
    check(`${c.name}: only the org's groups`, foreign.length === 0, `${foreign.length} foreign`);
    if (c.query.includes("-p95")) {
      const p95s = page.groups.map((g) => g.p95 ?? -1);
      check(
        `${c.name}: in p95 order`,
        p95s.every((v, i) => i === 0 || p95s[i - 1]! >= v),
      );
    }
  }

  const baseline: Case = { name: "baseline select 1", query: "-", phase: "", run: () => sqlRows`select 1` };
  for (const phase of [...new Set(cases.map((c) => c.phase))]) {
    const list = [baseline, ...cases.filter((c) => c.phase === phase)];
    console.log("");
    log(`timing ${phase}: ${list.length} cases x ${ITERATIONS} (+${WARMUP} warm-up), round-robin`);
    const times = new Map(list.map((c) => [c.name, [] as number[]]));
    // CPU per call, which other work on the machine moves less than time: this process's and
    // the bench database's backends' (read from /proc around each call, outside its timing)
    const cpu = new Map(list.map((c) => [c.name, { node: 0, pg: 0 }]));
    const { machinePct } = await busy(async () => {
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        for (const c of list) {
          const pg0 = await backendCpu(client, DB_NAME);
          const node0 = process.cpuUsage();
          const t0 = performance.now();
          await c.run();
          const t1 = performance.now();
          const node = process.cpuUsage(node0);
          const pg1 = await backendCpu(client, DB_NAME);
          if (i < WARMUP) continue;
          times.get(c.name)!.push(t1 - t0);
          cpu.get(c.name)!.node += (node.user + node.system) / 1000 / ITERATIONS;
          cpu.get(c.name)!.pg += (backendCpuUsed(pg0, pg1) * 1000) / ITERATIONS;
        }
      }
    });
    const base = summarize(times.get(baseline.name)!);
    console.log("");
    console.log(
      `listTransactionGroups in process (${phase}), ${PER_PAGE} a page, ms (machine busy ${machinePct === null ? "-" : fmt(machinePct, 0)}% over the timing, all processes)`,
    );
    const rows: string[][] = [
      ["case", "p50", "p95", "max", "p95/baseline", "target", "cpu ms: node", "postgres", "query"],
    ];
    for (const c of list) {
      const s = summarize(times.get(c.name)!);
      const isBase = c === baseline;
      rows.push([
        c.name,
        fmt(s.p50),
        fmt(s.p95),
        fmt(s.max),
        isBase ? "1.00x" : `${fmt(s.p95 / base.p95, 0)}x`,
        isBase ? "-" : mark(s.p95 < TARGET_MS),
        fmt(cpu.get(c.name)!.node),
        fmt(cpu.get(c.name)!.pg),
        c.query,
      ]);
    }
    printRows(rows);
  }

  await keptMemory(list, forgetUnitFigures, keptFigureBytes);
  if (CUTOVER_ITERATIONS > 0) await cutover(org.projectIds, now);

  console.log("");
  const failed = checks.filter((c) => !c.ok);
  log(
    `checks: ${checks.length - failed.length}/${checks.length} passed${failed.length ? `; failed: ${failed.map((c) => c.name).join("; ")}` : ""}`,
  );
  return failed.length === 0 ? 0 : 1;
}

/**
 * What the process keeps (summary-cache.ts) after the lists that fill it (sorted by p95; the
 * other sorts keep nothing), from nothing kept: the bytes it counts against its MAX_BYTES, and
 * the heap's growth with them (after a forced GC when node runs with --expose-gc).
 */
async function keptMemory(
  list: (query: string) => Promise<unknown>,
  forget: () => void,
  bytes: () => number,
): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const heap = () => {
    gc?.();
    return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  };
  const mb = (b: number) => fmt(b / 1048576);
  const table: string[][] = [["lists, from nothing kept", "kept MB (counted)", "heap + buffers growth MB"]];
  for (const queries of [
    ["statsPeriod=24h&sort=-count", "statsPeriod=14d&sort=-count"],
    ["statsPeriod=24h&sort=-p95"],
    ["statsPeriod=14d&sort=-p95"],
    ["statsPeriod=24h&sort=-p95&environment=production"],
    ["statsPeriod=14d&sort=-p95&environment=production"],
    ["statsPeriod=24h&sort=-p95", "statsPeriod=14d&sort=-p95"],
    [
      "statsPeriod=24h&sort=-p95",
      "statsPeriod=14d&sort=-p95",
      "statsPeriod=24h&sort=-p95&environment=production",
      "statsPeriod=14d&sort=-p95&environment=production",
    ],
  ]) {
    forget();
    const before = heap();
    for (const query of queries) await list(query);
    table.push([queries.join(" + "), mb(bytes()), gc ? mb(heap() - before) : "- (no --expose-gc)"]);
  }
  forget();
  console.log("");
  console.log("kept figures in this process after these lists (summary-cache.ts), MB");
  printRows(table);
}

/**
 * What the hourly/daily cut-over decides, measured: every group's rows of a period ending now
 * with their sketches (what sorting by p95 reads), read and merged, from hourly rows and from
 * daily rows, for periods of 1 to 7 days. Daily rows also cover up to a day more.
 */
async function cutover(projectIds: number[], now: Date): Promise<void> {
  const { periodBuckets, statsPeriod } = await import("../../lib/performance/summary-period");
  const { readPackedRows, unsafePackedUnitRows } = await import("../../lib/performance/summary-rows");
  const { mergePackedSketch } = await import("../../lib/performance/sketch-bytes");
  const read = async (days: number, resolution: "h" | "d") => {
    const period = statsPeriod(new Date(now.getTime() - days * 86_400_000), now, now.getTime(), resolution);
    const units = periodBuckets(period).flatMap((bucket) =>
      projectIds.map((projectId) => ({ projectId, resolution, bucket: bucket.getTime() })),
    );
    const t0 = performance.now();
    const packed = await unsafePackedUnitRows(units, { environment: null, release: null });
    const merged = new Map<number, Record<string, number>>();
    let rows = 0;
    for (const unit of packed)
      readPackedRows(unit, (groupId, _count, _failures, _durationSum, start, end) => {
        rows++;
        let sketch = merged.get(groupId);
        if (!sketch) {
          sketch = {};
          merged.set(groupId, sketch);
        }
        mergePackedSketch(sketch, unit.subarray(start, end));
      });
    return {
      ms: performance.now() - t0,
      rows,
      hours: (period.end.getTime() - period.start.getTime()) / 3_600_000,
    };
  };
  console.log("");
  console.log(
    `cut-over: read and merge every group's sketches of a period ending now from PostgreSQL (no kept figures), median of ${CUTOVER_ITERATIONS}, ms`,
  );
  const table: string[][] = [
    ["period", "hourly rows", "hourly ms", "daily rows", "daily ms", "daily covers"],
  ];
  for (const days of [1, 2, 3, 4, 7]) {
    const hourly: number[] = [];
    const daily: number[] = [];
    let h = { ms: 0, rows: 0, hours: 0 };
    let d = { ms: 0, rows: 0, hours: 0 };
    for (let i = 0; i < CUTOVER_ITERATIONS; i++) {
      h = await read(days, "h");
      d = await read(days, "d");
      hourly.push(h.ms);
      daily.push(d.ms);
    }
    const median = (v: number[]) =>
      fmt(
        percentile(
          v.sort((a, b) => a - b),
          50,
        )!,
      );
    table.push([`${days}d`, String(h.rows), median(hourly), String(d.rows), median(daily), `${d.hours} h`]);
  }
  printRows(table);
}

await runBench(main);
