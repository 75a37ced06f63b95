/**
 * Daily or weekly partitions of events? (a script, not a vitest test)
 *
 *   npx tsx tests/bench/event-partitions.bench.ts [--rows 200000] [--runs 300]
 *
 * In a fresh database errorhub_partbench_<pid> (dropped at the end) on PostgreSQL
 * (--pg-url, default postgresql://postgres@127.0.0.1:5432), the same rows (events' columns
 * and indexes, a 600-byte payload) spread over one year of received_at, partitioned into N
 * ranges: 14 and 53 (weekly: 90 days, a year), 98 and 365 (daily: the same spans, the year
 * being what a self-hosted install that keeps everything has after a year) and 1 (no
 * partitioning, for reference). For each N it times, as the app runs them (parameters, the
 * pg driver, each statement a round trip):
 * - an issue's newest 100 events (the issue events page: issue_id says nothing of received_at,
 *   so every partition is visited),
 * - one event by (project_id, event_id) (the feedback and org event lookups),
 * - the same lookup when the read knows the week (received_at >= now - 90 days: pruned),
 * - a 500-row insert into the current range (the drain batch's events insert).
 * Prints the median and p95 in ms per statement.
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";

const { values: opts } = parseArgs({
  options: {
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    rows: { type: "string", default: "200000" },
    runs: { type: "string", default: "300" },
  },
});
const ROWS = Number(opts.rows);
const RUNS = Number(opts.runs);
const DB = `errorhub_partbench_${process.pid}`;
const YEAR_DAYS = 364;
const ISSUES = 2000;

const admin = new pg.Client({ connectionString: opts["pg-url"] });
await admin.connect();
await admin.query(`create database ${DB}`);
const url = new URL(opts["pg-url"]!);
url.pathname = `/${DB}`;
const client = new pg.Client({ connectionString: url.href });
await client.connect();

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function timed(run: (i: number) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 20; i++) await run(i); // warm: plan caches, buffers
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: Number(quantile(times, 0.5).toFixed(3)), p95: Number(quantile(times, 0.95).toFixed(3)) };
}

const now = Date.UTC(2027, 0, 4); // a Monday
const start = now - YEAR_DAYS * 86_400_000;

async function build(partitions: number): Promise<void> {
  await client.query("drop table if exists ev");
  const columns = `id bigserial, project_id int not null, issue_id int, event_id text not null, timestamp timestamptz(3) not null,
    received_at timestamptz(3) not null, level text not null default 'error', platform text not null default 'other',
    release text, environment text, user_tag text, tags jsonb not null default '[]', payload json not null, title text not null default '',
    trace_id uuid`;
  if (partitions === 1) {
    await client.query(`create table ev (${columns}, primary key (id, received_at))`);
  } else {
    await client.query(`create table ev (${columns}, primary key (id, received_at)) partition by range (received_at)`);
    const width = (YEAR_DAYS * 86_400_000) / partitions;
    for (let i = 0; i < partitions; i++) {
      const from = new Date(start + i * width).toISOString();
      const to = new Date(i === partitions - 1 ? now + 30 * 86_400_000 : start + (i + 1) * width).toISOString();
      await client.query(`create table ev_${i} partition of ev for values from ('${from}') to ('${to}')`);
    }
    await client.query("create table ev_default partition of ev default");
  }
  await client.query(`
    insert into ev (project_id, issue_id, event_id, timestamp, received_at, payload)
    select n % 50, n % ${ISSUES}, md5(n::text), t, t, json_build_object('message', repeat('x', 600), 'n', n)
    from generate_series(1, ${ROWS}) n, lateral (select to_timestamp(${start / 1000} + (n::float8 / ${ROWS}) * ${YEAR_DAYS * 86400}) as t) x`);
  await client.query("create index on ev (issue_id, timestamp)");
  await client.query("create index on ev (project_id, event_id)");
  await client.query("create index on ev (project_id, received_at)");
  await client.query("create index on ev (trace_id)");
  await client.query("vacuum analyze ev");
}

const results: Record<string, unknown>[] = [];
try {
  for (const partitions of [1, 14, 53, 98, 365]) {
    await build(partitions);
    const issueEvents = await timed((i) =>
      client.query(
        "select id, event_id, timestamp, title, tags from ev where issue_id = $1 order by timestamp desc, id desc limit 100",
        [i % ISSUES],
      ),
    );
    const byEventId = await timed((i) =>
      client.query("select issue_id from ev where project_id = $1 and event_id = $2", [((i * 7919) % ROWS) % 50, md5Of((i * 7919) % ROWS)]),
    );
    const byEventIdPruned = await timed((i) =>
      client.query("select issue_id from ev where project_id = $1 and event_id = $2 and received_at >= $3", [
        ((i * 7919) % ROWS) % 50,
        md5Of((i * 7919) % ROWS),
        new Date(now - 90 * 86_400_000),
      ]),
    );
    let batch = 0;
    const insert = await timed(() => {
      batch++;
      return client.query(
        `insert into ev (project_id, issue_id, event_id, timestamp, received_at, payload)
         select 1, n % ${ISSUES}, 'b' || $1::int || '-' || n, $2::timestamptz, $2::timestamptz, json_build_object('message', repeat('x', 600))
         from generate_series(1, 500) n`,
        [batch, new Date(now - 3_600_000)],
      );
    });
    const row = { partitions, issueEvents, byEventId, byEventIdPruned, insert500: insert };
    results.push(row);
    console.log(JSON.stringify(row));
  }
} finally {
  await client.end();
  await admin.query(`drop database if exists ${DB} with (force)`);
  await admin.end();
}

console.log("\npartitions  issue's 100 events p50/p95  by event id p50/p95  by event id, 90 days p50/p95  500-row insert p50/p95 (ms)");
for (const r of results as { partitions: number; [k: string]: unknown }[]) {
  const f = (k: string) => {
    const v = r[k] as { p50: number; p95: number };
    return `${v.p50}/${v.p95}`.padEnd(28);
  };
  console.log(`${String(r.partitions).padEnd(12)}${f("issueEvents")}${f("byEventId")}${f("byEventIdPruned")}${f("insert500")}`);
}

function md5Of(n: number): string {
  // md5(n::text) as Postgres computes it, for an existing row's event id
  return createHash("md5").update(String(n === 0 ? ROWS : n)).digest("hex");
}
