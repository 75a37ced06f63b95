/**
 * Cron monitors' minute job benchmark (issue #20; a script, not a vitest test):
 *
 *   npm run bench:monitors -- [--rounds 3] [--monitors 100000] [--help for all options]
 *
 * Seeds a fresh database errorhub_mbench_<pid> (created and migrated with lib/migrate.ts,
 * dropped at the end) with set-based SQL: one org with 4 projects and --monitors monitors
 * (schedules: 20% "* * * * *", 40% "*\/5 * * * *", 20% "0 * * * *" in Europe/Berlin, 20%
 * every 10 minutes), one environment each, --history closed check-ins each (ok, an hour apart;
 * no timeout_at, which the check-in path keeps on in-progress rows only), and 1% of the
 * monitors running now (in progress, not timed out). Nothing is due at the bench's clock T0
 * unless a case makes it so.
 *
 * Then, per round, in an order that rotates from round to round so machine noise spreads
 * over all cases alike, it times lib/monitors/detect.ts unsafeDetectMonitorFailures({ now: T0 })
 * as the worker runs it:
 * - select1: a `select 1` round trip on the same pool (the baseline, median of 20);
 * - noop: a tick where nothing is due;
 * - due1 / due10: a tick after 1% / 10% of the environments were made due (untimed SQL
 *   before the tick moves their deadline to T0), with failure_issue_threshold 1, so every miss
 *   is also an event of the monitor's failure issue (the first one opens it): Sentry's default;
 * - due10quiet: as due10, but with a failure_issue_threshold the miss does not reach: the
 *   job's own cost (the misses and the counters) without the failure issues' events;
 * - timeout1: a tick after 1% of the monitors' running check-ins were made to time out.
 * Each due case takes monitors no earlier round took (while there are enough), so each round
 * opens new issues as the first did.
 *
 * Phases: the schema as migrated, then with --partial-index, once more with a partial index
 * `check_ins (timeout_at) where status = 'in_progress'` for the timeout pass. Checks (exit 1 when one fails): each due case inserts exactly one missed check-in per
 * due environment and leaves none due; each timeout case times out exactly its check-ins.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import { migrate } from "../../lib/migrate";
import { dropDatabase } from "./build";
import { cleanups, log, mark, printRows, redact, runBench } from "./harness";

const { values: opts } = parseArgs({
  options: {
    monitors: { type: "string", default: "100000" },
    rounds: { type: "string", default: "3" },
    history: { type: "string", default: "5" },
    "partial-index": { type: "boolean", default: false },
    "keep-db": { type: "boolean", default: false },
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log(`usage: tsx tests/bench/monitors.bench.ts [options]   (npm run bench:monitors -- [options])
  --monitors N         monitors (one environment each) of the tenant (default 100000)
  --rounds N           timed rounds of every case (default 3)
  --history N          closed check-ins per monitor (default 5)
  --partial-index      measure again with a partial index on check_ins (timeout_at) where status = 'in_progress'
  --keep-db            do not drop the bench database at the end (prints its name)
  --pg-url URL         PostgreSQL server to create the bench database on`);
  process.exit(0);
}

const int = (name: string, value: string, min = 1) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
};
const MONITORS = int("monitors", opts.monitors, 100);
const ROUNDS = int("rounds", opts.rounds);
const HISTORY = int("history", opts.history, 0);

const DB_NAME = `errorhub_mbench_${process.pid}`;
const adminUrl = new URL(opts["pg-url"]);
const dbUrl = new URL(opts["pg-url"]);
dbUrl.pathname = `/${DB_NAME}`;
// lib/ reads its environment once, at first use: before the dynamic imports below.
process.env.DATABASE_URL = dbUrl.toString();
process.env.LOG_LEVEL = "warn";

/** The bench's clock: a round hour, so every schedule has an expected time at it. */
const T0 = new Date("2031-01-06T12:00:00Z");

type Detect = typeof import("../../lib/monitors/detect");
type Case = "select1" | "noop" | "due1" | "due10" | "due10quiet" | "timeout1";
const CASES: Case[] = ["select1", "noop", "due1", "due10", "due10quiet", "timeout1"];

async function seed(client: pg.Client, orgId: number, projectIds: number[]): Promise<void> {
  const started = Date.now();
  await client.query(
    `insert into monitors (org_id, project_id, slug, name, schedule_type, schedule, timezone, checkin_margin, max_runtime)
     select $1::int, ($2::int[])[1 + i % cardinality($2::int[])], 'job-' || i, 'Job ' || i,
            case when i % 5 = 4 then 'interval' else 'crontab' end,
            (array['* * * * *', '*/5 * * * *', '*/5 * * * *', '0 * * * *', '10 minute'])[1 + i % 5],
            case when i % 5 = 3 then 'Europe/Berlin' else 'UTC' end, 1, 30
     from generate_series(1, $3::int) as i`,
    [orgId, projectIds, MONITORS],
  );
  // Deadlines spread over the hour after T0: nothing due at T0.
  await client.query(
    `insert into monitor_environments (monitor_id, environment, status, last_check_in, next_check_in, next_check_in_latest)
     select id, 'production', 'ok', $1::timestamptz - interval '1 minute',
            $1::timestamptz + (1 + id % 59) * interval '1 minute', $1::timestamptz + (2 + id % 59) * interval '1 minute'
     from monitors`,
    [T0],
  );
  if (HISTORY > 0) {
    await client.query(
      `insert into check_ins (project_id, check_in_id, monitor_slug, monitor_id, monitor_environment_id, status, duration_ms,
                              environment, timeout_at, created_at, updated_at, payload)
       select m.project_id, md5(me.id || ':' || k), m.slug, m.id, me.id, 'ok', 1500, 'production', null,
              $1::timestamptz - k * interval '1 hour', $1::timestamptz - k * interval '1 hour', '{}'::jsonb
       from monitors m join monitor_environments me on me.monitor_id = m.id, generate_series(1, $2::int) as k`,
      [T0, HISTORY],
    );
  }
  // 1% running now: in progress, due to time out 20 minutes after T0.
  await client.query(
    `insert into check_ins (project_id, check_in_id, monitor_slug, monitor_id, monitor_environment_id, status,
                            environment, timeout_at, created_at, updated_at, payload)
     select m.project_id, md5('running:' || me.id), m.slug, m.id, me.id, 'in_progress', 'production',
            $1::timestamptz + interval '20 minutes', $1::timestamptz - interval '10 minutes', $1::timestamptz - interval '10 minutes', '{}'::jsonb
     from monitors m join monitor_environments me on me.monitor_id = m.id where m.id % 100 = 0`,
    [T0],
  );
  await client.query("vacuum analyze monitors, monitor_environments, check_ins");
  const { rows } = await client.query<{ n: string }>("select count(*)::text as n from check_ins");
  log(
    `seeded ${MONITORS} monitors, ${rows[0]!.n} check-ins in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** Environments taken by due cases so far: each case takes ones no earlier case took, while there are. */
let nextSlice = 0;
function takeEnvironments(count: number): [number, number] {
  if (nextSlice + count > MONITORS) nextSlice = 0;
  const range: [number, number] = [nextSlice + 1, nextSlice + count];
  nextSlice += count;
  return range;
}

type Outcome = { ms: number; ok: boolean; detail: string };

async function runCase(
  name: Case,
  client: pg.Client,
  detect: Detect,
  select1: () => Promise<unknown>,
): Promise<Outcome> {
  if (name === "select1") {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await select1();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return { ms: times[10]!, ok: true, detail: "median of 20" };
  }
  if (name === "noop") {
    const t = performance.now();
    const result = await detect.unsafeDetectMonitorFailures({ now: T0 });
    const ms = performance.now() - t;
    return {
      ms,
      ok: result.missed === 0 && result.timedOut === 0,
      detail: `missed ${result.missed}, timed out ${result.timedOut}`,
    };
  }
  if (name === "timeout1") {
    const { rows } = await client.query<{ id: string }>(
      `update check_ins set timeout_at = $1::timestamptz - interval '1 minute', created_at = $1::timestamptz - interval '31 minutes'
       where id in (select id from check_ins where status = 'in_progress' order by id limit $2) returning id::text`,
      [T0, Math.max(1, Math.floor(MONITORS / 100))],
    );
    // the running ones keep running for the next round
    cleanupAfter.push(() =>
      client.query(
        `update check_ins set status = 'in_progress', timeout_at = $1::timestamptz + interval '20 minutes' where id = any($2::bigint[])`,
        [T0, rows.map((r) => r.id)],
      ),
    );
    const t = performance.now();
    const result = await detect.unsafeDetectMonitorFailures({ now: T0 });
    const ms = performance.now() - t;
    return {
      ms,
      ok: result.timedOut === rows.length,
      detail: `timed out ${result.timedOut} of ${rows.length}`,
    };
  }
  const count = Math.floor((MONITORS * (name === "due1" ? 1 : 10)) / 100);
  const [first, last] = takeEnvironments(count);
  // Reused monitors (more rounds than there are fresh ones) would miss T0 - 1 minute again,
  // which their missed check-in's id already holds: the job rightly inserts nothing. Untimed.
  await client.query("delete from check_ins where status = 'missed' and monitor_id between $1 and $2", [
    first,
    last,
  ]);
  const before = await missedCount(client);
  const threshold = name === "due10quiet" ? 720 : 1;
  await client.query(
    "update monitors set failure_issue_threshold = $1 where id between $2 and $3 and failure_issue_threshold <> $1",
    [threshold, first, last],
  );
  await client.query(
    `update monitor_environments set next_check_in = $1::timestamptz - interval '1 minute', next_check_in_latest = $1::timestamptz
     where monitor_id between $2 and $3`,
    [T0, first, last],
  );
  const t = performance.now();
  const result = await detect.unsafeDetectMonitorFailures({ now: T0 });
  const ms = performance.now() - t;
  const inserted = (await missedCount(client)) - before;
  const { rows } = await client.query<{ n: number }>(
    "select count(*)::int as n from monitor_environments where next_check_in_latest <= $1",
    [T0],
  );
  const ok = result.missed === count && inserted === count && rows[0]!.n === 0;
  return {
    ms,
    ok,
    detail: `missed ${result.missed} of ${count} (rows ${inserted}), ${threshold === 1 ? "each an issue event" : "counted only"}, ${(ms / count).toFixed(3)} ms each`,
  };
}

const cleanupAfter: (() => Promise<unknown>)[] = [];
const missedCount = async (client: pg.Client) =>
  Number(
    (await client.query<{ n: string }>("select count(*)::text as n from check_ins where status = 'missed'"))
      .rows[0]!.n,
  );

async function explain(client: pg.Client): Promise<void> {
  const statements: [string, string][] = [
    [
      "missed pass select",
      `select me.id from monitor_environments me join monitors m on m.id = me.monitor_id
       where me.next_check_in_latest <= '${T0.toISOString()}' order by me.next_check_in_latest limit 1000 for update of me skip locked`,
    ],
    [
      "timeout pass select",
      `select id from check_ins where status = 'in_progress' and timeout_at <= '${T0.toISOString()}' order by timeout_at limit 1000`,
    ],
  ];
  for (const [label, sql] of statements) {
    await client.query("begin");
    const { rows } = await client.query<{ "QUERY PLAN": string }>(
      `explain (analyze, buffers, costs off) ${sql}`,
    );
    await client.query("rollback");
    const plan = rows.map((r) => r["QUERY PLAN"]);
    log(`${label}: ${plan.find((l) => l.startsWith("Execution Time")) ?? ""}`);
    for (const line of plan.filter((l) => /Scan|Buffers: shared/.test(l)).slice(0, 4))
      console.log(`    ${line.trim()}`);
  }
}

async function phase(
  label: string,
  client: pg.Client,
  detect: Detect,
  select1: () => Promise<unknown>,
): Promise<boolean> {
  log(`phase: ${label}`);
  await explain(client);
  const times = new Map<Case, number[]>(CASES.map((c) => [c, []]));
  let allOk = true;
  // untimed ticks warm the plans, caches and the incident code's JIT
  await runCase("due1", client, detect, select1);
  await detect.unsafeDetectMonitorFailures({ now: T0 });
  for (let round = 0; round < ROUNDS; round++) {
    const order = CASES.map((_, i) => CASES[(i + round) % CASES.length]!);
    for (const name of order) {
      const outcome = await runCase(name, client, detect, select1);
      for (const step of cleanupAfter.splice(0)) await step();
      times.get(name)!.push(outcome.ms);
      allOk &&= outcome.ok;
      log(
        `  round ${round + 1} ${name.padEnd(8)} ${outcome.ms.toFixed(2).padStart(9)} ms  ${mark(outcome.ok)}  ${outcome.detail}`,
      );
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const base = median(times.get("select1")!);
  const rows = [["case", "median ms", "min ms", "max ms", "x select 1"]];
  for (const name of CASES) {
    const values = times.get(name)!;
    rows.push([
      name,
      median(values).toFixed(2),
      Math.min(...values).toFixed(2),
      Math.max(...values).toFixed(2),
      (median(values) / base).toFixed(0),
    ]);
  }
  printRows(rows);
  return allOk;
}

async function main(): Promise<number> {
  log(
    `database ${DB_NAME} on ${redact(adminUrl)}; ${MONITORS} monitors, ${ROUNDS} rounds, T0 ${T0.toISOString()}`,
  );
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`create database "${DB_NAME}"`);
  await admin.end();
  cleanups.push(async () => {
    if (opts["keep-db"]) log(`kept database ${DB_NAME}`);
    else await dropDatabase(adminUrl.toString(), DB_NAME);
  });
  await migrate(dbUrl.toString());

  const client = new pg.Client({ connectionString: dbUrl.toString() });
  await client.connect();
  cleanups.push(() => client.end());
  const suffix = randomBytes(3).toString("hex");
  const { rows: orgs } = await client.query<{ id: number }>(
    "insert into organizations (slug, name) values ($1, $1) returning id",
    [`mbench-${suffix}`],
  );
  const orgId = orgs[0]!.id;
  const { rows: projects } = await client.query<{ id: number }>(
    `insert into projects (org_id, slug, name) select $1, 'p' || i, 'Project ' || i from generate_series(1, 4) as i returning id`,
    [orgId],
  );
  await seed(
    client,
    orgId,
    projects.map((p) => p.id),
  );

  const detect: Detect = await import("../../lib/monitors/detect");
  const { sqlRows, closeDb } = await import("../../lib/db");
  const { closeQueues } = await import("../../lib/queues");
  cleanups.push(async () => {
    await closeQueues();
    await closeDb();
  });
  const select1 = () => sqlRows`select 1`;

  let ok = await phase("schema as migrated", client, detect, select1);
  if (opts["partial-index"]) {
    await client.query(
      "create index check_ins_in_progress_timeout_at_idx on check_ins (timeout_at) where status = 'in_progress'",
    );
    await client.query("analyze check_ins");
    ok =
      (await phase(
        "with a partial index on check_ins (timeout_at) where status = 'in_progress'",
        client,
        detect,
        select1,
      )) && ok;
  }
  log(ok ? "all checks passed" : "a check FAILED");
  return ok ? 0 : 1;
}

await runBench(main);
