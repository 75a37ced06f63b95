/**
 * Issues-list benchmark (issue #6; a script, not a vitest test):
 *
 *   npm run bench:issues -- [--iterations 200] [--db-sql "create index ..."]... [--help for all options]
 *
 * Seeds a fresh database errorhub_ibench_<pid> (created and migrated with lib/migrate.ts,
 * dropped at the end) with set-based SQL (tests/bench/issues-seed.ts): one org under test with
 * 4 projects, 10,000 issues and 1,000,000 events (skewed: Zipf rank^-0.9 events per issue,
 * first/last seen spread over 90 days, ~80% unresolved), plus a second org (2,000 issues,
 * 100,000 events) so the tenant filter has something to filter out;
 * issue_tag_values (level, release, environment, server_name, transaction, user, browser,
 * browser.name, os, os.name, runtime, device, url, mechanism, handled) and issue_hourly_counts
 * (last 14 days) are derived from the events, so the counters agree as the pipeline keeps them.
 * Then, after VACUUM ANALYZE, it times the issue stream:
 *
 * - in process: lib/issues/list.ts listIssues(viewer, {query, sort, limit: 50}) as the API
 *   calls it (the id query plus issueViews' three queries, 24h stats), one case after another
 *   round-robin so machine noise spreads over all cases alike; warm-up first, then N timed calls
 *   per case; p50/p95/p99 and the ratio to the baseline (`is:unresolved`, sort date).
 * - over HTTP, on `next start` with the existing .next build (never rebuilt here): the API
 *   GET /api/0/organizations/{org}/issues/?query=...&limit=50 with a bearer token
 *   (lib/tokens unsafeCreateApiToken), and the dashboard page /{org}/issues?query=... signed in with
 *   a session cookie (lib/auth/sessions createSession); client time on loopback, body included.
 * - EXPLAIN (ANALYZE, BUFFERS) of the very SQL listIssues sent (captured from the pg driver
 *   Prisma's adapter uses, replayed with the same parameters), with the nodes that took the time.
 *
 * Candidate indexes or settings: each --db-sql (repeatable) is applied after the "before"
 * measurement, cumulatively in the order given, followed by ANALYZE, and the in-process cases
 * (and EXPLAINs) are measured again after each: a before/after table per step. HTTP is measured
 * before and after the last step (--http ends, the default), after every step (all) or never.
 *
 * Target: p95 < 200 ms (--target-ms) for every list case. Checks (exit 1 when one fails): the
 * seeded counters agree with the events, every case that should match does, no foreign issue
 * is listed, the API answers 200 with the same ids as listIssues, the page 200 with its rows,
 * and every --db-sql step lists the same first page as before. A missed target alone exits 0.
 *
 * Machine noise: the CPU used by processes outside the bench during each measurement is
 * printed; above 30% of the machine the phase is flagged as noisy.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { migrate } from "../../lib/migrate";
import { ROOT, deleteKeys, dropDatabase } from "./build";
import { type SeedResult, type SeededOrg, seed } from "./issues-seed";
import {
  type Child,
  cpuSeconds,
  freePort,
  machineBusySeconds,
  runningChildren,
  sleep,
  startNode,
  stopChild,
} from "./procs";
import { cleanups, log, mark, percentile, printRows, redact, runBench } from "./harness";

const NEXT_BIN = path.join(ROOT, "node_modules/next/dist/bin/next");
const NOISY_OTHER_CPU_PCT = 30;
const PROGRESS_EVERY_MS = 15_000;
/** Each statement is EXPLAIN ANALYZEd this many times; the median run is reported (noise). */
const EXPLAIN_RUNS = 5;
/** Cases whose whole plan is printed (every explained case gets its times and slowest nodes). */
const PLAN_CASES = new Set(["base", "tag_text_date", "tag_text_freq", "user_tag", "negated_tag_text"]);

const { values: opts } = parseArgs({
  options: {
    issues: { type: "string", default: "10000" },
    events: { type: "string", default: "1000000" },
    "other-issues": { type: "string", default: "2000" },
    "other-events": { type: "string", default: "100000" },
    projects: { type: "string", default: "4" },
    days: { type: "string", default: "90" },
    skew: { type: "string", default: "0.9" },
    "user-space": { type: "string", default: "50000" },
    iterations: { type: "string", default: "200" },
    "http-iterations": { type: "string" },
    warmup: { type: "string", default: "20" },
    limit: { type: "string", default: "50" },
    "target-ms": { type: "string", default: "200" },
    cases: { type: "string" },
    "db-sql": { type: "string", multiple: true, default: [] },
    http: { type: "string", default: "ends" },
    "web-wait": { type: "string", default: "600" },
    "skip-explain": { type: "boolean", default: false },
    "keep-db": { type: "boolean", default: false },
    "reuse-db": { type: "string" },
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
    help: { type: "boolean", default: false },
  },
});

if (opts.help) {
  console.log(`usage: tsx tests/bench/issues.bench.ts [options]   (npm run bench:issues -- [options])
  --issues N           issues of the org under test (default 10000)
  --events N           its events (default 1000000; at least --issues)
  --other-issues N     issues of the second org (default 2000)
  --other-events N     its events (default 100000)
  --projects N         projects of the org under test, 1-5 (default 4)
  --days N             first/last seen spread over N days (default 90)
  --skew S             events per issue ~ rank^-S (default 0.9)
  --user-space N       distinct end users per org (user tag "id:N", default 50000)
  --iterations N       timed calls per case and phase (default 200)
  --http-iterations N  timed requests per HTTP case (default: --iterations)
  --warmup N           untimed calls per case first (default 20)
  --limit N            issues per page for listIssues and the API (default 50; the page shows 25)
  --target-ms MS       p95 target per case (default 200)
  --cases LIST         comma-separated subset of the cases (default all; base always runs)
  --db-sql SQL         after the "before" measurement, run this SQL on the bench database, ANALYZE,
                       and measure again (repeatable; cumulative, in order), e.g.
                       --db-sql "create index on issue_tag_values (key, value, issue_id)"
  --http MODE          ends (default: before and after the last --db-sql), all (every phase) or none
  --web-wait S         while someone else's \`next build\` runs (or .next is missing), wait up to S
                       seconds for it to finish before the HTTP part (default 600); then skip HTTP
  --skip-explain       no EXPLAIN ANALYZE output
  --keep-db            do not drop the bench database at the end (prints its name)
  --reuse-db NAME      measure an existing seeded database (from --keep-db) instead of seeding; it
                       is not dropped, and --db-sql changes stay in it
  --pg-url URL         PostgreSQL server to create the bench database on
  --redis-url URL      Redis for the web server (keys under the prefix ibench<pid>, removed at the end)`);
  process.exit(0);
}

const int = (name: string, value: string, min = 1) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
};
const ISSUES = int("issues", opts.issues);
const EVENTS = int("events", opts.events);
const OTHER_ISSUES = int("other-issues", opts["other-issues"]);
const OTHER_EVENTS = int("other-events", opts["other-events"]);
const PROJECTS = int("projects", opts.projects);
const DAYS = int("days", opts.days);
const SKEW = Number(opts.skew);
const USER_SPACE = int("user-space", opts["user-space"]);
const ITERATIONS = int("iterations", opts.iterations);
const HTTP_ITERATIONS = int("http-iterations", opts["http-iterations"] ?? opts.iterations);
const WARMUP = int("warmup", opts.warmup, 0);
const LIMIT = int("limit", opts.limit);
const TARGET_MS = int("target-ms", opts["target-ms"]);
const HTTP_MODE = opts.http;
const WEB_WAIT_MS = int("web-wait", opts["web-wait"], 0) * 1000;
if (PROJECTS > 5) throw new Error("--projects must be 1-5");
if (EVENTS < ISSUES || OTHER_EVENTS < OTHER_ISSUES) throw new Error("every issue needs an event: --events >= --issues");
if (!Number.isFinite(SKEW) || SKEW < 0 || SKEW > 3) throw new Error("--skew must be between 0 and 3");
if (LIMIT > 100) throw new Error("--limit must be at most 100 (the API's maximum)");
if (!["ends", "all", "none"].includes(HTTP_MODE)) throw new Error("--http must be ends, all or none");

const DB_NAME = opts["reuse-db"] ?? `errorhub_ibench_${process.pid}`;
const PREFIX = `ibench${process.pid}`;
const adminUrl = new URL(opts["pg-url"]);
const dbUrl = new URL(opts["pg-url"]);
dbUrl.pathname = `/${DB_NAME}`;

// ---------------------------------------------------------------------------------------------
// Cleanup, whatever happens: the web server stopped by PID, the database dropped, Redis keys removed.

// ---------------------------------------------------------------------------------------------
// The SQL Prisma sends, seen from the pg driver its adapter (@prisma/adapter-pg) runs it on: the
// adapter calls client.query({ text, values, rowMode, types }) on pg.Client, the class this
// module imports too. Only recorded while `capture` is set.

type Statement = { text: string; values: unknown[] };
let capture: Statement[] | null = null;
{
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const config = args[0] as { text?: unknown; values?: unknown } | undefined;
    if (capture && config && typeof config === "object" && typeof config.text === "string")
      capture.push({ text: config.text, values: Array.isArray(config.values) ? [...config.values] : [] });
    return original.apply(this, args);
  };
}

// ---------------------------------------------------------------------------------------------

type Sort = "date" | "new" | "freq" | "user";
type Case = {
  name: string;
  query: string;
  sort: Sort;
  /** Should match at least one unresolved issue. */
  matches: boolean;
  explain: boolean;
  api: boolean;
  page: boolean;
};
type Stats = { n: number; p50: number; p95: number; p99: number; max: number; mean: number };
type CaseResult = { name: string; query: string; sort: Sort; rows: number; stats: Stats };
type Cpu = { machinePct: number | null; ownPct: number | null; otherPct: number | null };
type NodeTime = { node: string; selfMs: number; rows: number; loops: number; detail: string };
type ExplainResult = {
  case: string;
  statement: string;
  executionMs: number;
  planningMs: number;
  jitMs: number | null;
  top: NodeTime[];
  text: string;
};
type Phase = {
  name: string;
  sql: string | null;
  sqlMs: number | null;
  inProcess: CaseResult[];
  inProcessCpu: Cpu;
  http: CaseResult[];
  httpCpu: Cpu | null;
  explains: ExplainResult[];
  firstPages: Map<string, number[]>;
};

const checks: { name: string; ok: boolean; detail: string }[] = [];
const warnings: string[] = [];
function check(name: string, ok: boolean, detail = ""): void {
  checks.push({ name, ok, detail });
  if (!ok) log(`CHECK FAILED: ${name}${detail ? ` (${detail})` : ""}`);
}

async function main(): Promise<number> {
  const started = Date.now();
  log(
    `issues-list benchmark: ${ISSUES} issues / ${EVENTS} events (+ other org ${OTHER_ISSUES} / ${OTHER_EVENTS}); ` +
      `${ITERATIONS} iterations per case after ${WARMUP} warm-up, limit ${LIMIT}, target p95 < ${TARGET_MS} ms`,
  );
  log(
    `machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; PostgreSQL and the web server share them with this process (and others' work)`,
  );

  const admin = new pg.Client({ connectionString: adminUrl.href });
  await admin.connect().catch((error: Error) => {
    throw new Error(`no PostgreSQL at ${redact(adminUrl)}: ${error.message}`);
  });
  const pgVersion = (await admin.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
  const pgSettings = Object.fromEntries(
    (
      await admin.query<{ name: string; setting: string; unit: string | null }>(
        "select name, setting, unit from pg_settings where name = any($1) order by name",
        [["shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit", "max_parallel_workers_per_gather"]],
      )
    ).rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]),
  );
  const trgm = (
    await admin.query<{ v: string | null }>("select default_version as v from pg_available_extensions where name = 'pg_trgm'")
  ).rows[0]?.v;
  await admin.end();
  log(`PostgreSQL ${pgVersion} ${JSON.stringify(pgSettings)}; pg_trgm ${trgm ? `${trgm} available` : "NOT available"}`);

  // -- database and data -----------------------------------------------------------------------
  let seeded: SeedResult | null = null;
  let org: SeededOrg;
  let other: SeededOrg;
  if (opts["reuse-db"]) {
    log(`reusing database ${DB_NAME} as it is (not seeded, not dropped)`);
    const client = new pg.Client({ connectionString: dbUrl.href });
    await client.connect();
    try {
      const orgOf = async (slug: string, owner: string): Promise<SeededOrg> => {
        const row = (
          await client.query<{ id: number; owner: number; projects: number[] }>(
            `select o.id, (select id from users where email = $2) as owner,
                    array(select id from projects where org_id = o.id order by id) as projects
             from organizations o where slug = $1`,
            [slug, owner],
          )
        ).rows[0];
        if (!row) throw new Error(`${DB_NAME} has no org ${slug}: not a database this bench seeded`);
        return { id: row.id, slug, ownerId: row.owner, projectIds: row.projects };
      };
      org = await orgOf("bench", "owner@bench.local");
      other = await orgOf("bench-other", "owner@other.local");
    } finally {
      await client.end();
    }
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
    log(`database ${DB_NAME}: created and migrated`);
    const client = new pg.Client({ connectionString: dbUrl.href });
    await client.connect();
    try {
      seeded = await seed(client, {
        issues: ISSUES,
        events: EVENTS,
        otherIssues: OTHER_ISSUES,
        otherEvents: OTHER_EVENTS,
        projects: PROJECTS,
        days: DAYS,
        skew: SKEW,
        userSpace: USER_SPACE,
        log,
      });
    } finally {
      await client.end();
    }
    org = seeded.org;
    other = seeded.other;
    log(`seeded in ${(seeded.totalMs / 1000).toFixed(1)} s`);
  }

  const pgc = new pg.Client({ connectionString: dbUrl.href });
  await pgc.connect();
  cleanups.push(() => pgc.end());
  const dataset = await describeData(pgc, org, other);
  printDataset(seeded, dataset);
  if (!opts["reuse-db"]) checkSeed(dataset);

  // -- the application's code, on the bench database --------------------------------------------
  process.env.DATABASE_URL = dbUrl.href;
  process.env.AUTH_SECRET ??= randomBytes(32).toString("hex");
  process.env.LOG_LEVEL = "warn";
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `errorhub-ibench-${process.pid}-`));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  process.env.DATA_DIR = dataDir;
  const { listIssues, matchingIssueIds } = await import("../../lib/issues/list");
  const { createSession } = await import("../../lib/auth/sessions");
  const { unsafeCreateApiToken } = await import("../../lib/tokens");
  const { closeDb } = await import("../../lib/db");
  cleanups.push(() => closeDb());
  const viewer = { userId: org.ownerId, orgId: org.id, role: "owner" as const };

  const user = (
    await pgc.query<{ v: string; n: number }>(
      `select substr(t.value, 4) as v, count(*)::int as n
       from issue_tag_values t join issues i on i.id = t.issue_id
       where t.key = 'user' and i.project_id = any($1::int[]) and i.status = 'unresolved'
       group by t.value having count(*) between 3 and 20 order by count(*) desc, t.value limit 1`,
      [org.projectIds],
    )
  ).rows[0];
  if (!user) throw new Error("no user tag value shared by 3-20 unresolved issues: seed too small for the user.id case");

  const allCases: Case[] = [
    { name: "base", query: "is:unresolved", sort: "date", matches: true, explain: true, api: true, page: true },
    c("tag_text_date", 'is:unresolved browser.name:Chrome "timeout"', "date", { api: true, page: true }),
    c("tag_text_freq", 'is:unresolved browser.name:Chrome "timeout"', "freq", { api: true }),
    c("tag_text_new", 'is:unresolved browser.name:Chrome "timeout"', "new", {}),
    c("wildcard_text", 'is:unresolved browser:Chrome* "timeout"', "date", {}),
    c("user_tag", `is:unresolved user.id:${user.v}`, "date", { api: true }),
    c("negated_tag_text", 'is:unresolved !browser.name:Chrome "timeout"', "date", {}),
    c("negated_tag", "is:unresolved !environment:production", "date", {}),
    c("text_only", 'is:unresolved "timeout"', "date", { explain: false }),
    c("tag_only", "is:unresolved browser.name:Chrome", "date", { explain: false }),
    c("two_tags_text", 'is:unresolved environment:production os.name:Windows "undefined"', "freq", {}),
    c("no_match_text", 'is:unresolved "no-such-text-anywhere"', "date", { matches: false }),
  ];
  const wanted = opts.cases?.split(",").map((s) => s.trim()).filter(Boolean);
  for (const name of wanted ?? [])
    if (!allCases.some((k) => k.name === name))
      throw new Error(`unknown case ${name}; cases: ${allCases.map((k) => k.name).join(", ")}`);
  const cases = allCases.filter((k) => k.name === "base" || !wanted || wanted.includes(k.name));
  log(`user.id case: id:${user.v} is a user of ${user.n} unresolved issues`);

  // Matches per case (all of them, not a page), and what a correct first page is.
  const matchCount = new Map<string, number>();
  for (const k of cases) {
    const ids = await matchingIssueIds(viewer, { query: k.query }, 1_000_000);
    matchCount.set(k.name, ids.length);
    if (k.matches) check(`${k.name} matches some issues`, ids.length > 0, `${ids.length} matches`);
    if (k.matches && ids.length < LIMIT) log(`note: ${k.name} matches only ${ids.length} issues (< a page of ${LIMIT})`);
  }

  // -- phases: before, then after each --db-sql ------------------------------------------------
  const steps: (string | null)[] = [null, ...opts["db-sql"]];
  const phases: Phase[] = [];
  let web: { base: string; child: Child; token: string; cookie: string; buildId: string } | null = null;
  for (const [index, sql] of steps.entries()) {
    const name = sql === null ? "before" : `+sql${index}`;
    let sqlMs: number | null = null;
    if (sql !== null) {
      console.log("");
      log(`${name}: running ${sql}`);
      const t0 = performance.now();
      await pgc.query(sql);
      sqlMs = performance.now() - t0;
      await pgc.query("analyze");
      log(`${name}: done in ${(sqlMs / 1000).toFixed(1)} s, then ANALYZE`);
    }
    console.log("");
    log(`phase ${name}: in-process listIssues, ${cases.length} cases x ${ITERATIONS} (+${WARMUP} warm-up), round-robin`);
    const cpu = cpuWindow(pgc);
    await cpu.start();
    const timings = await measure(
      cases,
      ITERATIONS,
      async (k) => (await listIssues(viewer, { query: k.query, sort: k.sort, limit: LIMIT })).issues,
      name,
    );
    const inProcessCpu = await cpu.end();
    const firstPages = new Map<string, number[]>();
    for (const k of cases) {
      const page = await listIssues(viewer, { query: k.query, sort: k.sort, limit: LIMIT });
      const ids = page.issues.map((i) => i.id);
      firstPages.set(k.name, ids);
      const foreign = page.issues.filter((i) => !org.projectIds.includes(i.projectId));
      check(`${name} ${k.name}: only the org's issues`, foreign.length === 0, `${foreign.length} foreign`);
      check(
        `${name} ${k.name}: a full page or all matches`,
        ids.length === Math.min(LIMIT, matchCount.get(k.name)!),
        `${ids.length} rows, ${matchCount.get(k.name)} matches`,
      );
      const before = phases[0]?.firstPages.get(k.name);
      if (before)
        check(`${name} ${k.name}: same first page as before`, sameIds(before, ids), `${ids.length} vs ${before.length} rows`);
    }
    const inProcess = cases.map((k) => ({
      name: k.name,
      query: k.query,
      sort: k.sort,
      rows: firstPages.get(k.name)!.length,
      stats: timings.get(k.name)!,
    }));

    const explains: ExplainResult[] = [];
    if (!opts["skip-explain"]) {
      for (const k of cases.filter((x) => x.explain)) {
        capture = [];
        try {
          await listIssues(viewer, { query: k.query, sort: k.sort, limit: LIMIT });
        } finally {
          const statements = capture;
          capture = null;
          for (const s of statements) {
            if (!/^\s*select/i.test(s.text)) continue;
            explains.push({ case: k.name, ...(await explain(pgc, s)) });
          }
        }
      }
    }

    const phase: Phase = {
      name,
      sql,
      sqlMs,
      inProcess,
      inProcessCpu,
      http: [],
      httpCpu: null,
      explains,
      firstPages,
    };
    phases.push(phase);
    printInProcess(phase, phases[0]!);
    printExplains(phase);

    const httpHere = HTTP_MODE === "all" || (HTTP_MODE === "ends" && (index === 0 || index === steps.length - 1));
    if (httpHere) {
      if (!web) {
        const buildId = await waitForBuild(WEB_WAIT_MS);
        if (buildId === null) {
          warnings.push("HTTP not measured: no finished .next build");
          log(`WARNING: no finished .next build after ${WEB_WAIT_MS / 1000} s: HTTP skipped (this bench never builds)`);
        } else {
          web = { ...(await startWeb(org, createSession, unsafeCreateApiToken, dataDir)), buildId };
        }
      }
      if (web) {
        const w = web;
        const httpCases = [
          ...cases.filter((k) => k.api).map((k) => ({ ...k, name: `api_${k.name}` })),
          ...cases.filter((k) => k.page).map((k) => ({ ...k, name: `page_${k.name}` })),
        ];
        const expectedPage = new Map<string, number>();
        for (const k of cases.filter((x) => x.page)) {
          const ids = await matchingIssueIds(viewer, { query: k.query, statsPeriod: "14d" }, 25);
          expectedPage.set(`page_${k.name}`, ids.length);
        }
        console.log("");
        log(`phase ${name}: HTTP on ${w.base}, ${httpCases.length} cases x ${HTTP_ITERATIONS} (+${WARMUP} warm-up)`);
        const seen = new Set<string>();
        const hcpu = cpuWindow(pgc, [w.child.pid]);
        await hcpu.start();
        const httpTimings = await measure(
          httpCases,
          HTTP_ITERATIONS,
          async (k) => {
            const isApi = k.name.startsWith("api_");
            const url = isApi
              ? `${w.base}/api/0/organizations/${org.slug}/issues/?${new URLSearchParams({ query: k.query, sort: k.sort, limit: String(LIMIT) })}`
              : `${w.base}/${org.slug}/issues?${new URLSearchParams({ query: k.query, sort: k.sort })}`;
            const response = await fetch(url, {
              headers: isApi ? { authorization: `Bearer ${w.token}` } : { cookie: `errorhub_session=${w.cookie}` },
              redirect: "manual",
            });
            const body = await response.text();
            if (!seen.has(k.name)) {
              seen.add(k.name);
              const base = k.name.replace(/^(api|page)_/, "");
              if (isApi) {
                let ids: number[] = [];
                try {
                  ids = (JSON.parse(body) as { id: string }[]).map((i) => Number(i.id));
                } catch {
                  // checked below
                }
                check(`${name} ${k.name}: 200 with listIssues' page`, response.status === 200 && sameIds(ids, firstPages.get(base)!), `status ${response.status}, ${ids.length} rows`);
              } else {
                const rows = body.split('data-testid="issue-row"').length - 1;
                check(`${name} ${k.name}: 200 with its rows`, response.status === 200 && rows === expectedPage.get(k.name), `status ${response.status}, ${rows} rows, want ${expectedPage.get(k.name)}`);
              }
            } else if (response.status !== 200) {
              check(`${name} ${k.name}: 200`, false, `status ${response.status}`);
            }
            return { length: body.length };
          },
          `${name} http`,
        );
        phase.httpCpu = await hcpu.end();
        if (readBuildId() !== w.buildId || buildRunning()) {
          warnings.push(`${name}: someone rebuilt .next during the HTTP measurement`);
          log(`WARNING: ${name}: .next was rebuilt (or a build was running) during the HTTP measurement: figures suspect`);
        }
        phase.http = httpCases.map((k) => ({
          name: k.name,
          query: k.query,
          sort: k.sort,
          rows: k.name.startsWith("page_") ? expectedPage.get(k.name)! : firstPages.get(k.name.slice(4))!.length,
          stats: httpTimings.get(k.name)!,
        }));
        printHttp(phase, phases[0]!);
      }
    }
  }
  if (web) await stopChild(web.child);

  // -- summary ------------------------------------------------------------------------------------
  console.log("");
  console.log("summary (p50 / p95 ms per phase; PASS/FAIL: p95 against the target in the last phase measured)");
  const last = phases.at(-1)!;
  const rows: string[][] = [["case", ...phases.map((p) => p.name), "target", "result"]];
  const pass: Record<string, boolean> = {};
  for (const kind of ["inProcess", "http"] as const) {
    const names = [...new Set(phases.flatMap((p) => p[kind].map((r) => r.name)))];
    for (const n of names) {
      const cells = phases.map((p) => {
        const r = p[kind].find((x) => x.name === n);
        return r ? `${fmt(r.stats.p50, 1)} / ${fmt(r.stats.p95, 1)}` : "-";
      });
      const lastResult = last[kind].find((x) => x.name === n) ?? [...phases].reverse().find((p) => p[kind].some((x) => x.name === n))?.[kind].find((x) => x.name === n);
      const ok = lastResult !== undefined && lastResult.stats.p95 < TARGET_MS;
      const key = kind === "inProcess" ? `list_${n}` : n;
      pass[key] = ok;
      rows.push([key, ...cells, `< ${TARGET_MS}`, mark(ok)]);
    }
  }
  const checksOk = checks.every((x) => x.ok);
  rows.push(["checks", ...phases.map(() => ""), "all ok", checksOk ? "PASS" : `FAIL (${checks.filter((x) => !x.ok).length})`]);
  printRows(rows);
  for (const p of phases) {
    const noisy = [p.inProcessCpu, p.httpCpu].some((x) => (x?.otherPct ?? 0) > NOISY_OTHER_CPU_PCT);
    console.log(
      `${p.name}: other processes used ${fmt(p.inProcessCpu.otherPct, 0)}% of the machine during the in-process run` +
        (p.httpCpu ? `, ${fmt(p.httpCpu.otherPct, 0)}% during HTTP` : "") +
        (noisy ? "  WARNING: noisy, figures are high for reasons outside the bench" : ""),
    );
  }
  if (!checksOk) for (const x of checks.filter((y) => !y.ok)) console.log(`failed check: ${x.name} ${x.detail}`);
  for (const w of warnings) console.log(`WARNING: ${w}`);

  console.log("");
  console.log(
    JSON.stringify({
      bench: "issues",
      at: new Date(started).toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim(), node: process.version },
      postgres: { version: pgVersion, ...pgSettings, pg_trgm: trgm ?? null },
      options: { iterations: ITERATIONS, http_iterations: HTTP_ITERATIONS, warmup: WARMUP, limit: LIMIT, target_ms: TARGET_MS },
      seed: seeded
        ? {
            seconds: round(seeded.totalMs / 1000),
            steps: seeded.steps.map((s) => ({ step: s.step, seconds: round(s.ms / 1000), rows: s.rows })),
          }
        : { reused: DB_NAME },
      data: dataset,
      matches: Object.fromEntries(matchCount),
      phases: phases.map((p) => ({
        name: p.name,
        sql: p.sql,
        sql_seconds: p.sqlMs === null ? null : round(p.sqlMs / 1000),
        in_process: p.inProcess.map((r) => resultJson(r, p.inProcess[0]!)),
        in_process_cpu: p.inProcessCpu,
        http: p.http.map((r) => resultJson(r, p.http.find((x) => x.name === "api_base") ?? r)),
        http_cpu: p.httpCpu,
        explain: p.explains
          .filter((e) => e.statement === "list (ids)")
          .map((e) => ({
            case: e.case,
            execution_ms: e.executionMs,
            planning_ms: e.planningMs,
            jit_ms: e.jitMs,
            other_statements_ms: Object.fromEntries(
              p.explains.filter((o) => o.case === e.case && o !== e).map((o) => [o.statement, o.executionMs]),
            ),
            top: e.top.map((t) => ({ node: t.node, self_ms: t.selfMs, rows: t.rows, loops: t.loops })),
          })),
      })),
      pass,
      checks_ok: checksOk,
      failed_checks: checks.filter((x) => !x.ok).map((x) => `${x.name} ${x.detail}`),
      warnings,
    }),
  );
  return checksOk ? 0 : 1;
}

function c(name: string, query: string, sort: Sort, o: Partial<Case>): Case {
  return { name, query, sort, matches: true, explain: true, api: false, page: false, ...o };
}

function sameIds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---------------------------------------------------------------------------------------------
// Timing

/** Warm-up, then `n` rounds over all cases (round-robin), each call timed on its own. */
async function measure<K extends { name: string }>(
  cases: K[],
  n: number,
  run: (k: K) => Promise<{ length: number }>,
  label: string,
): Promise<Map<string, Stats>> {
  for (let i = 0; i < WARMUP; i++) for (const k of cases) await run(k);
  const samples = new Map(cases.map((k) => [k.name, [] as number[]]));
  let lastProgress = Date.now();
  for (let i = 0; i < n; i++) {
    for (const k of cases) {
      const t0 = performance.now();
      await run(k);
      samples.get(k.name)!.push(performance.now() - t0);
    }
    if (Date.now() - lastProgress > PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      log(`${label}: ${i + 1}/${n} rounds`);
    }
  }
  return new Map([...samples].map(([name, ms]) => [name, stats(ms)]));
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => percentile(sorted, p)!;
  return {
    n: sorted.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted.at(-1)!,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

/** CPU of the machine, of this process + the bench database's backends + `pids`, and the rest. */
function cpuWindow(pgc: pg.Client, pids: number[] = []) {
  let t0 = 0;
  let machine0: number | null = null;
  let own0 = new Map<number, number>();
  let self0 = process.cpuUsage();
  const ownPids = async () => [
    ...pids,
    ...(await pgc.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database()")).rows.map(
      (r) => r.pid,
    ),
  ];
  const sample = async () => new Map((await ownPids()).map((pid) => [pid, cpuSeconds(pid) ?? 0]));
  return {
    async start() {
      own0 = await sample();
      self0 = process.cpuUsage();
      machine0 = machineBusySeconds();
      t0 = performance.now();
    },
    async end(): Promise<Cpu> {
      const seconds = (performance.now() - t0) / 1000;
      const machine1 = machineBusySeconds();
      const self = process.cpuUsage(self0);
      const own1 = await sample();
      let own = (self.user + self.system) / 1e6;
      for (const [pid, cpu] of own1) own += cpu - (own0.get(pid) ?? 0);
      const cores = os.cpus().length;
      const pct = (s: number) => (100 * s) / (seconds * cores);
      const machinePct = machine0 === null || machine1 === null ? null : pct(machine1 - machine0);
      const ownPct = pct(own);
      return {
        machinePct: round(machinePct),
        ownPct: round(ownPct),
        otherPct: machinePct === null ? null : round(Math.max(0, machinePct - ownPct)),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// EXPLAIN

/** EXPLAIN ANALYZE run EXPLAIN_RUNS times: the run with the median execution time is reported. */
async function explain(pgc: pg.Client, s: Statement): Promise<Omit<ExplainResult, "case">> {
  type Root = { Plan: PlanNode; "Execution Time": number; "Planning Time": number; JIT?: { Timing?: { Total?: number } } };
  const runs: Root[] = [];
  for (let i = 0; i < EXPLAIN_RUNS; i++) {
    const json = await pgc.query<{ "QUERY PLAN": [Root] }>(`explain (analyze, buffers, format json) ${s.text}`, s.values);
    runs.push(json.rows[0]!["QUERY PLAN"][0]);
  }
  runs.sort((a, b) => a["Execution Time"] - b["Execution Time"]);
  const root = runs[Math.floor((runs.length - 1) / 2)]!;
  const text = await pgc.query<{ "QUERY PLAN": string }>(`explain (analyze, buffers) ${s.text}`, s.values);
  const nodes: NodeTime[] = [];
  const walk = (node: PlanNode) => {
    const total = (node["Actual Total Time"] ?? 0) * (node["Actual Loops"] ?? 1);
    const children = (node.Plans ?? []).reduce(
      (sum, child) => sum + (child["Actual Total Time"] ?? 0) * (child["Actual Loops"] ?? 1),
      0,
    );
    const what = [
      node["Node Type"],
      node["Relation Name"] ? `on ${node["Relation Name"]}` : "",
      node["Index Name"] ? `using ${node["Index Name"]}` : "",
    ]
      .filter(Boolean)
      .join(" ");
    const detail = [
      node.Filter ? `Filter: ${node.Filter}` : "",
      node["Rows Removed by Filter"] ? `removed ${node["Rows Removed by Filter"]}` : "",
      node["Index Cond"] ? `Index Cond: ${node["Index Cond"]}` : "",
      node["Sort Method"] ? `Sort: ${node["Sort Method"]}` : "",
    ]
      .filter(Boolean)
      .join("; ");
    nodes.push({
      node: what,
      selfMs: round(Math.max(0, total - children), 2) ?? 0,
      rows: node["Actual Rows"] ?? 0,
      loops: node["Actual Loops"] ?? 1,
      detail,
    });
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(root.Plan);
  nodes.sort((a, b) => b.selfMs - a.selfMs);
  return {
    statement: statementLabel(s.text),
    executionMs: round(root["Execution Time"], 2) ?? 0,
    planningMs: round(root["Planning Time"], 2) ?? 0,
    jitMs: round(root.JIT?.Timing?.Total ?? null, 2),
    top: nodes.slice(0, 3),
    text: text.rows.map((r) => r["QUERY PLAN"]).join("\n"),
  };
}

type PlanNode = {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Total Time"?: number;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  Filter?: string;
  "Index Cond"?: string;
  "Rows Removed by Filter"?: number;
  "Sort Method"?: string;
  Plans?: PlanNode[];
};

function statementLabel(sql: string): string {
  if (/^\s*select i\.id/i.test(sql)) return "list (ids)";
  if (/issue_hourly_counts/.test(sql)) return "stats (issue_hourly_counts)";
  if (/"issue_tag_values"|issue_tag_values/.test(sql)) return "unhandled (issue_tag_values)";
  if (/FROM "public"\."issues"/.test(sql)) return "rows (issues)";
  if (/FROM "public"\."projects"/.test(sql)) return "rows (projects)";
  if (/FROM "public"\."users"/.test(sql)) return "rows (assignees)";
  return sql.slice(0, 40);
}

// ---------------------------------------------------------------------------------------------
// The web server: the existing .next build under `next start`, signed in two ways.

function readBuildId(): string | null {
  try {
    return readFileSync(path.join(ROOT, ".next/BUILD_ID"), "utf8").trim();
  } catch {
    return null;
  }
}

/** Whether a `next build` runs on this machine (others build in this checkout; it rewrites .next). */
function buildRunning(): boolean {
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (/next build|next-build/.test(cmdline)) return true;
    } catch {
      // gone
    }
  }
  return false;
}

/** The BUILD_ID of a finished .next build, waiting up to `maxMs` for a running build; null if none. */
async function waitForBuild(maxMs: number): Promise<string | null> {
  const deadline = Date.now() + maxMs;
  let said = false;
  for (;;) {
    const id = readBuildId();
    if (id && existsSync(path.join(ROOT, ".next/BUILD_ID")) && !buildRunning()) return id;
    if (Date.now() > deadline) return null;
    if (!said) log(`web: ${id ? "a next build is running" : "no .next/BUILD_ID"}: waiting for a finished build`);
    said = true;
    await sleep(2000);
  }
}

async function startWeb(
  org: SeededOrg,
  createSession: (userId: number) => Promise<{ token: string }>,
  unsafeCreateApiToken: (input: { userId: number; orgId: number; name: string; scopes: ("event:read" | "org:read")[] }) => Promise<{ token: string }>,
  dataDir: string,
) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const redisUrl = opts["redis-url"];
  cleanups.push(async () => {
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on("error", () => {});
    try {
      await redis.connect();
      const deleted = await deleteKeys(redis, `${PREFIX}:*`);
      if (deleted > 0) log(`redis: removed ${deleted} keys under ${PREFIX}:`);
    } catch {
      // no Redis: nothing was written there
    } finally {
      redis.disconnect();
    }
  });
  cleanups.push(async () => {
    await Promise.all(runningChildren().map((child) => stopChild(child)));
  });
  const t0 = performance.now();
  const child = await startNode("web", [NEXT_BIN, "start", "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: "production",
      DATABASE_URL: dbUrl.href,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: PREFIX,
      AUTH_SECRET: process.env.AUTH_SECRET!,
      DATA_DIR: dataDir,
      APP_URL: base,
      PORT: String(port),
      LOG_LEVEL: "warn",
      DEMO_ACCOUNT: "off",
      NEXT_TELEMETRY_DISABLED: "1",
    },
    ready: /Ready in/,
    timeoutMs: 60_000,
  });
  const { token: cookie } = await createSession(org.ownerId);
  const { token } = await unsafeCreateApiToken({ userId: org.ownerId, orgId: org.id, name: "bench", scopes: ["event:read", "org:read"] });
  log(`web: next start (existing .next build), pid ${child.pid}, ${base}, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { base, child, token, cookie };
}

// ---------------------------------------------------------------------------------------------
// Data description and seed checks

type Dataset = Record<string, number | string | null>;

async function describeData(pgc: pg.Client, org: SeededOrg, other: SeededOrg): Promise<Dataset> {
  const one = async (sql: string, values: unknown[] = []) =>
    (await pgc.query<{ v: number | string | null }>(sql, values)).rows[0]?.v ?? null;
  const mine = [org.projectIds];
  const num = async (sql: string, values: unknown[] = []) => {
    const v = await one(sql, values);
    return v === null ? null : Number(v);
  };
  const size = async (table: string) => one(`select pg_size_pretty(pg_total_relation_size('${table}')) as v`);
  return {
    issues: await num("select count(*) as v from issues where project_id = any($1::int[])", mine),
    issues_unresolved: await num(
      "select count(*) as v from issues where project_id = any($1::int[]) and status = 'unresolved'",
      mine,
    ),
    issues_other_org: await num("select count(*) as v from issues where project_id = any($1::int[])", [other.projectIds]),
    events: await num("select count(*) as v from events where project_id = any($1::int[])", mine),
    events_other_org: await num("select count(*) as v from events where project_id = any($1::int[])", [other.projectIds]),
    times_seen_sum: await num("select sum(times_seen) as v from issues where project_id = any($1::int[])", mine),
    times_seen_max: await num("select max(times_seen) as v from issues where project_id = any($1::int[])", mine),
    times_seen_median: await num(
      "select percentile_disc(0.5) within group (order by times_seen) as v from issues where project_id = any($1::int[])",
      mine,
    ),
    user_count_sum: await num("select sum(user_count) as v from issues", []),
    user_tag_values: await num("select count(*) as v from issue_tag_values where key = 'user'"),
    issue_tag_values: await num("select count(*) as v from issue_tag_values"),
    tag_environment_times_seen: await num("select sum(times_seen) as v from issue_tag_values where key = 'environment'"),
    events_all: await num("select count(*) as v from events"),
    hourly_sum: await num("select sum(count) as v from issue_hourly_counts"),
    events_last_14d: await num(
      "select count(*) as v from events where timestamp >= date_trunc('hour', (select max(timestamp) from events)) - interval '14 days'",
    ),
    issue_hourly_counts: await num("select count(*) as v from issue_hourly_counts"),
    titles_with_timeout_pct: await num(
      "select round(100.0 * avg((title ilike '%timeout%' or culprit ilike '%timeout%')::int), 1) as v from issues where project_id = any($1::int[])",
      mine,
    ),
    payload_json_avg_chars: await num(
      "select round(avg(length(payload::text))) as v from (select payload from events limit 20000) e",
    ),
    payload_stored_avg_bytes: await num(
      "select round(avg(pg_column_size(payload))) as v from (select payload from events limit 20000) e",
    ),
    tags_avg_bytes: await num("select round(avg(pg_column_size(tags))) as v from (select tags from events limit 20000) e"),
    size_events: await size("events"),
    size_issues: await size("issues"),
    size_issue_tag_values: await size("issue_tag_values"),
    size_issue_hourly_counts: await size("issue_hourly_counts"),
  };
}

function checkSeed(d: Dataset): void {
  check("seed: issues of the org", d.issues === ISSUES, `${d.issues}`);
  check("seed: issues of the other org", d.issues_other_org === OTHER_ISSUES, `${d.issues_other_org}`);
  check("seed: events of the org", d.events === EVENTS, `${d.events}`);
  check("seed: events of the other org", d.events_other_org === OTHER_EVENTS, `${d.events_other_org}`);
  check("seed: sum(times_seen) = events", d.times_seen_sum === EVENTS, `${d.times_seen_sum}`);
  check(
    "seed: sum(user_count) = user tag values",
    d.user_count_sum === d.user_tag_values,
    `${d.user_count_sum} vs ${d.user_tag_values}`,
  );
  check(
    "seed: environment tag counts every event",
    d.tag_environment_times_seen === d.events_all,
    `${d.tag_environment_times_seen} vs ${d.events_all}`,
  );
  check("seed: hourly counts = events of the last 14 days", d.hourly_sum === d.events_last_14d, `${d.hourly_sum} vs ${d.events_last_14d}`);
}

// ---------------------------------------------------------------------------------------------
// Output

function printDataset(seeded: SeedResult | null, d: Dataset): void {
  console.log("");
  if (seeded) {
    console.log(`seed: ${(seeded.totalMs / 1000).toFixed(1)} s in total`);
    printRows([
      ["step", "rows", "seconds"],
      ...seeded.steps.map((s) => [s.step, s.rows === null ? "-" : String(s.rows), (s.ms / 1000).toFixed(1)]),
    ]);
    console.log("");
  }
  console.log("data");
  printRows([["figure", "value"], ...Object.entries(d).map(([k, v]) => [k, String(v)])]);
}

function printInProcess(p: Phase, before: Phase): void {
  const base = p.inProcess.find((r) => r.name === "base")!;
  console.log("");
  console.log(
    `phase ${p.name}${p.sql ? ` (${p.sql})` : ""}: listIssues in process, limit ${LIMIT}, ms` +
      ` (other processes ${fmt(p.inProcessCpu.otherPct, 0)}% of the machine, this bench + its PostgreSQL backends ${fmt(p.inProcessCpu.ownPct, 0)}%)`,
  );
  const rows: string[][] = [
    ["case", "sort", "rows", "p50", "p95", "p99", "max", "p95/base", ...(p === before ? [] : ["p95 before"]), "target", "query"],
  ];
  for (const r of p.inProcess) {
    rows.push(caseRow(r, base, p === before ? undefined : (before.inProcess.find((x) => x.name === r.name) ?? null)));
  }
  printRows(rows);
}

/**
 * A case's row of a phase table: its timings, p95 as a ratio to its baseline, and (after the
 * first phase; `prior` undefined in it) its p95 in the first phase.
 */
function caseRow(r: CaseResult, base: CaseResult | undefined, prior: CaseResult | null | undefined): string[] {
  return [
    r.name,
    r.sort,
    String(r.rows),
    fmt(r.stats.p50, 1),
    fmt(r.stats.p95, 1),
    fmt(r.stats.p99, 1),
    fmt(r.stats.max, 1),
    base ? `${fmt(r.stats.p95 / base.stats.p95, 2)}x` : "-",
    ...(prior === undefined ? [] : [prior ? fmt(prior.stats.p95, 1) : "-"]),
    mark(r.stats.p95 < TARGET_MS),
    r.query,
  ];
}

function printHttp(p: Phase, before: Phase): void {
  const base = (prefix: string) => p.http.find((r) => r.name === `${prefix}_base`);
  console.log("");
  console.log(
    `phase ${p.name}: HTTP from the client on loopback, ms (api limit ${LIMIT}, page 25 rows, statsPeriod 14d)` +
      ` (other processes ${fmt(p.httpCpu?.otherPct, 0)}% of the machine)`,
  );
  const rows: string[][] = [
    ["case", "sort", "rows", "p50", "p95", "p99", "max", "p95/base", ...(p === before ? [] : ["p95 before"]), "target", "query"],
  ];
  for (const r of p.http) {
    rows.push(caseRow(r, base(r.name.split("_")[0]!), p === before ? undefined : (before.http.find((x) => x.name === r.name) ?? null)));
  }
  printRows(rows);
}

function printExplains(p: Phase): void {
  if (p.explains.length === 0) return;
  console.log("");
  console.log(
    `phase ${p.name}: EXPLAIN (ANALYZE, BUFFERS) of the statements listIssues sent (the plan of the list statement` +
      ` printed in full for ${[...PLAN_CASES].join(", ")}; the slowest nodes by self time for all)`,
  );
  const byCase = new Map<string, ExplainResult[]>();
  for (const e of p.explains) byCase.set(e.case, [...(byCase.get(e.case) ?? []), e]);
  for (const [name, list] of byCase) {
    const id = list.find((e) => e.statement === "list (ids)");
    const others = list.filter((e) => e !== id);
    console.log("");
    console.log(
      `-- ${name}: list ${fmt(id?.executionMs, 2)} ms (median of ${EXPLAIN_RUNS}) (planning ${fmt(id?.planningMs, 2)}${id?.jitMs ? `, JIT ${fmt(id.jitMs, 1)}` : ""}); ` +
        others.map((e) => `${e.statement} ${fmt(e.executionMs, 2)} ms`).join(", "),
    );
    if (!id) continue;
    for (const t of id.top)
      console.log(`   slowest: ${t.node}: ${fmt(t.selfMs, 2)} ms self, ${t.rows} rows x ${t.loops} loops${t.detail ? `; ${t.detail}` : ""}`);
    if (PLAN_CASES.has(name)) console.log(id.text.replace(/^/gm, "   "));
  }
}

function resultJson(r: CaseResult, base: CaseResult) {
  return {
    case: r.name,
    query: r.query,
    sort: r.sort,
    rows: r.rows,
    n: r.stats.n,
    p50: round(r.stats.p50, 2),
    p95: round(r.stats.p95, 2),
    p99: round(r.stats.p99, 2),
    max: round(r.stats.max, 2),
    mean: round(r.stats.mean, 2),
    p95_ratio_to_base: round(r.stats.p95 / base.stats.p95, 2),
  };
}

function fmt(value: number | null | undefined, digits: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  return value.toFixed(digits);
}

function round(value: number | null, digits = 1): number | null {
  return value === null ? null : Number.isFinite(value) ? Number(value.toFixed(digits)) : null;
}

await runBench(main);
