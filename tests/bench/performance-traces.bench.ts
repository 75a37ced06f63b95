/**
 * Performance read-side benchmark (issue #22; a script, not a vitest test):
 *
 *   npx tsx tests/bench/performance-traces.bench.ts [--transactions 2000000] [--iterations 50]
 *
 * Seeds a fresh database errorhub_tbench_<pid> (migrated with lib/migrate.ts, dropped at the
 * end) with set-based SQL: one org of 4 projects and 1,000 transaction names (groups), whose
 * transactions (default 2,000,000) are skewed (the busiest name holds ~3% of them) over 14 days
 * with log-normal durations and a small document; a second org with 10% as many rows. Two traces
 * of real 30-span documents (~8 KB): a typical one of 20 transactions across the 4 projects, and
 * a forged one of 1,000 of the org's transactions under a trace id that org B shares 20,000
 * times. After VACUUM ANALYZE it times, in process, the lib functions the API and pages call:
 * listTransactions (recent and slowest, the busiest and a rare name, 24 h and 14 d, the 20th
 * page through cursors, a name in every project), transactionEvent and traceForViewer, round
 * robin, with a `select 1` round trip through the same client as the baseline; p50/p95 and the
 * ratio to it. Target p95 < 200 ms (--target-ms) per case but the forged trace, which is the
 * bound's worst case and only printed; a missed target exits 1.
 * --keep-db leaves the database (its name is printed), --reuse-db NAME measures it again.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { migrate } from "../../lib/migrate";
import { dropDatabase } from "./build";
import { cleanups, log, mark, percentile, printRows, runBench } from "./harness";

const { values: opts } = parseArgs({
  options: {
    transactions: { type: "string", default: "2000000" },
    iterations: { type: "string", default: "50" },
    "target-ms": { type: "string", default: "200" },
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    "keep-db": { type: "boolean", default: false },
    "reuse-db": { type: "string" },
  },
});
const TRANSACTIONS = Number(opts.transactions);
const ITERATIONS = Number(opts.iterations);
const TARGET_MS = Number(opts["target-ms"]);
const NAMES = 1000;
const PROJECTS = 4;

/** One ~8 KB document of 30 spans, as the worker stores a typical Node transaction. */
function document(name: string, traceId: string, rootSpan: string, end: number): string {
  const spans = Array.from({ length: 30 }, (_, i) => ({
    span_id: `${rootSpan.slice(0, 12)}${i.toString(16).padStart(4, "0")}`,
    parent_span_id: i < 3 ? rootSpan : `${rootSpan.slice(0, 12)}${(i % 3).toString(16).padStart(4, "0")}`,
    trace_id: traceId,
    op: i % 3 === 0 ? "db" : i % 3 === 1 ? "http.client" : "function",
    description:
      i % 3 === 0
        ? `SELECT id, name, price, stock FROM products WHERE category_id = $1 AND id > $2 LIMIT 50 -- ${i}`
        : `GET https://inventory.internal/api/v2/items/${i}?expand=stock,price`,
    start_timestamp: (end - 500 + i * 10) / 1000,
    timestamp: (end - 495 + i * 10) / 1000,
    status: "ok",
    data: {
      "db.system": "postgresql",
      "sentry.origin": "auto.db.otel.postgres",
      "server.address": "db.internal",
    },
  }));
  return JSON.stringify({
    event_id: rootSpan.repeat(2),
    type: "transaction",
    transaction: name,
    level: "info",
    platform: "node",
    timestamp: new Date(end).toISOString(),
    start_timestamp: new Date(end - 600).toISOString(),
    tags: [["environment", "production"]],
    contexts: { trace: { trace_id: traceId, span_id: rootSpan, op: "http.server", status: "ok" } },
    spans,
  });
}

/** The two orgs, their groups and transactions, and the two traces (see the top comment). */
async function seed(sql: pg.Client, now: number, TYPICAL: string, FORGED: string): Promise<void> {
  const started = Date.now();
  await sql.query(`
    insert into users (email) values ('bench-a@example.com'), ('bench-b@example.com');
    insert into organizations (slug, name) values ('bench-a', 'A'), ('bench-b', 'B');
    insert into memberships (user_id, org_id, role) select u.id, o.id, 'owner' from users u join organizations o on o.slug = 'bench-' || split_part(split_part(u.email, '@', 1), '-', 2);
    insert into projects (org_id, slug, name) select o.id, o.slug || '-p' || i, 'P' || i from organizations o, generate_series(1, ${PROJECTS}) i;
    insert into transaction_groups (project_id, name, op, method)
      select p.id, 'GET /api/endpoint/' || n, 'http.server', 'GET' from projects p, generate_series(1, ${NAMES}) n
      where p.slug like 'bench-a-%' and n % ${PROJECTS} = (substr(p.slug, length(p.slug))::int - 1)
         or p.slug like 'bench-b-%' and n <= 100 and substr(p.slug, length(p.slug)) = '1';
    -- one name in every project of A
    insert into transaction_groups (project_id, name, op, method)
      select p.id, 'GET /api/everywhere', 'http.server', 'GET' from projects p where p.slug like 'bench-a-%';`);
  // Skewed: row i goes to the group of rank floor(groups * u^2), u uniform: the busiest ~3%.
  for (const [org, rows] of [
    ["bench-a", TRANSACTIONS],
    ["bench-b", Math.round(TRANSACTIONS / 10)],
  ] as const) {
    await sql.query(
      `
      with g as (
        select array_agg(g.id order by g.id) as ids, array_agg(g.project_id order by g.id) as projects, array_agg(g.name order by g.id) as names
        from transaction_groups g join projects p on p.id = g.project_id join organizations o on o.id = p.org_id where o.slug = $1)
      insert into transactions (project_id, group_id, event_id, name, op, method, status, trace_id, span_id, duration_ms,
        start_timestamp, timestamp, release, environment, span_count, payload)
      select g.projects[r.k], g.ids[r.k], md5(i::text || $1), g.names[r.k], 'http.server', 'GET', case when i % 50 = 0 then 'internal_error' else 'ok' end,
        md5(i::text || 't')::uuid, substr(md5(i::text || 's'), 1, 16), d, ts - d * interval '1 ms', ts, 'app@1.' || (i % 7),
        case when i % 10 = 0 then 'staging' else 'production' end, 30, '{}'
      from g, generate_series(1, $2::int) i
      cross join lateral (select 1 + floor(cardinality(g.ids) * power(random(), 2) + 0 * i)::int as k,
        exp(random() * 4 + random() * 2) * 10 as d,
        to_timestamp($3::float8 / 1000 - random() * 14 * 86400) as ts) r`,
      [org, rows, now],
    );
  }
  // The typical trace and the forged one, with real documents.
  const [{ id: projectA }] = (await sql.query(`select id from projects where slug = 'bench-a-p1'`)).rows;
  const projectsA = (
    await sql.query(`select id from projects where slug like 'bench-a-%' order by id`)
  ).rows.map((r) => r.id as number);
  const [{ id: projectB }] = (await sql.query(`select id from projects where slug = 'bench-b-p1'`)).rows;
  const insertTrace = async (trace: string, count: number, projects: number[], parentOfPrevious: boolean) => {
    const values: unknown[][] = [];
    for (let i = 0; i < count; i++) {
      const span = (BigInt(0x1000000000000) * BigInt(projects[0]!) + BigInt(i))
        .toString(16)
        .padStart(16, "0")
        .slice(-16);
      const parent = parentOfPrevious && i > 0 ? (values[i - 1]![3] as string) : null;
      const end = now - 60_000 + i * 10;
      values.push([
        projects[i % projects.length],
        `${trace.slice(0, 8)}${span}${i.toString(16).padStart(8, "0")}`,
        `GET /api/endpoint/${(i % NAMES) + 1}`,
        span,
        parent,
        end,
        document("trace", trace, span, end),
      ]);
    }
    for (let at = 0; at < values.length; at += 500) {
      const chunk = values.slice(at, at + 500);
      await sql.query(
        `insert into transactions (project_id, group_id, event_id, name, op, status, trace_id, span_id, parent_span_id, duration_ms,
           start_timestamp, timestamp, span_count, payload)
         select x.p, (select id from transaction_groups g where g.project_id = x.p limit 1), x.e, x.n, 'http.server', 'ok', $1::uuid, x.s, x.ps, 600,
           to_timestamp(x.t / 1000.0) - interval '600 ms', to_timestamp(x.t / 1000.0), 30, x.doc::json
         from unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[]) as x(p, e, n, s, ps, t, doc)`,
        [trace, ...[0, 1, 2, 3, 4, 5, 6].map((k) => chunk.map((v) => v[k]))],
      );
    }
  };
  await insertTrace(TYPICAL, 20, projectsA, true);
  await insertTrace(FORGED, 1000, [projectA], false);
  await insertTrace(FORGED, 20_000, [projectB], false);
  await sql.query("vacuum analyze");
  const size = (
    await sql.query(
      `select pg_size_pretty(pg_total_relation_size('transactions')) as s, count(*) as n from transactions`,
    )
  ).rows[0];
  log(`seeded ${size.n} transactions (${size.s}) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function main(): Promise<number> {
  const server = new URL(opts["pg-url"]);
  const name = opts["reuse-db"] ?? `errorhub_tbench_${process.pid}`;
  const url = new URL(server.href);
  url.pathname = `/${name}`;
  if (!opts["reuse-db"]) {
    const admin = new pg.Client({ connectionString: server.href });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    await admin.end();
    if (opts["keep-db"]) log(`keeping the database ${name}`);
    else cleanups.push(() => dropDatabase(server.href, name));
    await migrate(url.href);
  }
  process.env.DATABASE_URL = url.href;
  const sql = new pg.Client({ connectionString: url.href });
  await sql.connect();
  cleanups.push(() => sql.end());
  const now = Date.now();
  const TYPICAL = "0123456789abcdef0123456789abcdef";
  const FORGED = "fedcba9876543210fedcba9876543210";
  if (!opts["reuse-db"]) await seed(sql, now, TYPICAL, FORGED);
  const projectsA = (
    await sql.query(`select id from projects where slug like 'bench-a-%' order by id`)
  ).rows.map((r) => r.id as number);
  const { db } = await import("../../lib/db");
  const { listTransactions, parseTransactionListQuery } = await import(
    "../../lib/performance/transactions-list"
  );
  const { transactionEvent } = await import("../../lib/performance/transaction-event");
  const { traceForViewer } = await import("../../lib/performance/trace");
  cleanups.push(async () => (await import("../../lib/db")).closeDb());
  const viewerRow = (
    await sql.query(
      `select m.user_id, m.org_id from memberships m join organizations o on o.id = m.org_id where o.slug = 'bench-a'`,
    )
  ).rows[0];
  const viewer = {
    userId: viewerRow.user_id as number,
    orgId: viewerRow.org_id as number,
    role: "owner" as const,
  };
  const busiest = (
    await sql.query(
      `select name, count(*) as n from transactions where project_id = any($1) group by name order by 2 desc limit 1`,
      [projectsA],
    )
  ).rows[0];
  const rare = (
    await sql.query(
      `select name, count(*) as n from transactions where project_id = any($1) group by name order by 2 asc limit 1`,
      [projectsA],
    )
  ).rows[0];
  const sample = (
    await sql.query(
      `select p.slug, t.event_id from transactions t join projects p on p.id = t.project_id where t.trace_id = $1 limit 1`,
      [TYPICAL],
    )
  ).rows[0];
  log(`busiest name ${busiest.name}: ${busiest.n} transactions; rarest ${rare.name}: ${rare.n}`);

  const list = (query: string) => () =>
    listTransactions(viewer, parseTransactionListQuery(new URLSearchParams(query)));
  const q = (n: string) => `transaction=${encodeURIComponent(n)}`;
  // the cursor of the 20th page of the busiest name's slowest, found once
  let deep = `${q(busiest.name)}&sort=-duration&statsPeriod=14d`;
  for (let page = 1; page < 20; page++) {
    const { nextCursor } = await list(deep)();
    if (!nextCursor) break;
    deep = `${q(busiest.name)}&sort=-duration&statsPeriod=14d&cursor=${nextCursor}`;
  }
  const cases: [string, () => Promise<unknown>][] = [
    ["baseline select 1", () => db().$queryRaw`select 1`],
    ["recent, busiest, 24h", list(q(busiest.name))],
    ["slowest, busiest, 24h", list(`${q(busiest.name)}&sort=-duration`)],
    ["slowest, busiest, 14d", list(`${q(busiest.name)}&sort=-duration&statsPeriod=14d`)],
    [
      "slowest, busiest, 14d, staging",
      list(`${q(busiest.name)}&sort=-duration&statsPeriod=14d&environment=staging`),
    ],
    ["slowest, busiest, 20th page", list(deep)],
    ["recent, rarest, 14d", list(`${q(rare.name)}&statsPeriod=14d`)],
    ["slowest, name in 4 projects, 14d", list(`${q("GET /api/everywhere")}&sort=-duration&statsPeriod=14d`)],
    ["transactionEvent (30 spans)", () => transactionEvent(viewer, sample.slug, sample.event_id)],
    ["trace: 20 transactions", () => traceForViewer(viewer, TYPICAL)],
    ["trace: forged, 1,000 of 21,000", () => traceForViewer(viewer, FORGED)],
  ];
  const times = new Map<string, number[]>(cases.map(([c]) => [c, []]));
  for (let i = 0; i < 5; i++) for (const [, run] of cases) await run();
  for (let i = 0; i < ITERATIONS; i++) {
    for (const [label, run] of cases) {
      const t0 = performance.now();
      await run();
      times.get(label)!.push(performance.now() - t0);
    }
  }
  const stats = (label: string) => {
    const sorted = [...times.get(label)!].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50)!, p95: percentile(sorted, 95)! };
  };
  const base = stats("baseline select 1");
  let failed = false;
  const rows = [["case", "p50 ms", "p95 ms", "p95 / baseline", "target"]];
  for (const [label] of cases) {
    const { p50, p95 } = stats(label);
    const measured = !label.startsWith("baseline") && !label.startsWith("trace: forged");
    const pass = !measured || p95 < TARGET_MS;
    failed ||= !pass;
    rows.push([
      label,
      p50.toFixed(2),
      p95.toFixed(2),
      `${(p95 / base.p95).toFixed(1)}x`,
      measured ? mark(pass) : "",
    ]);
  }
  printRows(rows);
  const forged = await traceForViewer(viewer, FORGED);
  const count = (nodes: { children: unknown[] }[]): number => nodes.length;
  log(
    `forged trace answer: ${count(forged!.transactions)} transactions (bound 1,000), ${forged!.transactions.reduce((n, t) => n + t.spans.length, 0)} spans, ${JSON.stringify(forged).length} bytes`,
  );
  return failed ? 1 : 0;
}

await runBench(main);
