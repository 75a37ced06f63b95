// Seeding for the transactions-list benchmark (tests/bench/performance-list.bench.ts): the rows
// the worker writes for transactions (transaction_groups, transaction_stats per hour and per
// day with their sketches, transaction_error_stats), generated here in Node one simulated
// transaction at a time and encoded with lib/performance/sketch.ts's addToSketch and stored with
// sketch-bytes.ts's packSketch, as the worker encodes them. The raw transactions rows are not seeded: the list never reads them.
import type pg from "pg";
import { type Sketch, addToSketch, isFailedStatus, mergeSketch } from "../../lib/performance/sketch";
import { packSketch } from "../../lib/performance/sketch-bytes";
import { seededRandom as prng } from "../support/hostile";

export type PerfSeedOptions = {
  /** transactions of the org under test over the whole period */
  transactions: number;
  /** transaction names (groups) of the org under test, spread over its projects */
  names: number;
  projects: number;
  days: number;
  /** Zipf exponent of transactions per name (rank^-skew): endpoints' traffic is skewed */
  skew: number;
  otherTransactions: number;
  otherNames: number;
  /** the last hour seeded is this one's (partly, up to its minute) */
  now: Date;
  log: (message: string) => void;
};

export type PerfSeededOrg = { id: number; slug: string; ownerId: number; projectIds: number[] };
export type PerfSeedResult = {
  org: PerfSeededOrg;
  other: PerfSeededOrg;
  hourlyRows: number;
  dailyRows: number;
  errorRows: number;
  transactions: number;
  totalMs: number;
};

const HOUR = 3_600_000;
const DAY = 86_400_000;
const ENVIRONMENTS = ["production", "staging"] as const;
/** staging's share of every name's traffic */
const STAGING_SHARE = 0.15;
/** a new release every this many hours per project; the previous one keeps 20% of the traffic for a day */
const RELEASE_EVERY_HOURS = 48;


type Group = {
  id: number;
  projectIdx: number;
  name: string;
  /** expected transactions per hour (before the daily cycle) */
  perHour: number;
  medianMs: number;
  sigma: number;
  failureRate: number;
  errorsPerFailure: number;
};

type Cell = { count: number; durationSum: number; failures: number; sketch: Sketch };

const ROUTES = [
  "/api/orders",
  "/api/users",
  "/api/invoices",
  "/api/search",
  "/api/reports",
  "/api/products",
  "/api/carts",
  "/api/payments",
  "/api/auth",
  "/api/notifications",
  "/api/inventory",
  "/api/shipments",
  "/api/graphql",
  "/checkout",
  "/account",
  "/admin/users",
  "/tasks/sync",
  "/tasks/send-invoice",
  "/webhooks/stripe",
  "/health",
];
const METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"];

/**
 * Groups and their stats for one org: `names` groups over `projectIds`, Zipf traffic, a daily
 * cycle, log-normal durations with a 2% slow tail, per-name failure rates, two environments,
 * a release every two days. Rows go in with `insert ... select from unnest` in batches.
 */
async function seedOrg(
  client: pg.Client,
  o: {
    projectIds: number[];
    names: number;
    transactions: number;
    days: number;
    skew: number;
    now: Date;
    seed: number;
  },
  flush: (kind: "h" | "d" | "e", n: number) => void,
): Promise<number> {
  const random = prng(o.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const weights = Array.from({ length: o.names }, (_, i) => (i + 1) ** -o.skew);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const lastHour = Math.floor(o.now.getTime() / HOUR) * HOUR;
  const hours = o.days * 24;
  const firstHour = lastHour - (hours - 1) * HOUR;
  const lastHourShare = (o.now.getTime() - lastHour) / HOUR;

  const specs = weights.map((w, i) => {
    const projectIdx = i % o.projectIds.length;
    const method = METHODS[Math.floor(random() * METHODS.length)]!;
    return {
      projectIdx,
      name: `${method} ${ROUTES[i % ROUTES.length]}/${Math.floor(i / ROUTES.length)}/:id`,
      op: "http.server",
      method,
      perHour: ((w / weightSum) * o.transactions) / (hours - 1 + lastHourShare),
      medianMs: 5 * 400 ** random(),
      sigma: 0.3 + 0.9 * random(),
      failureRate: random() < 0.7 ? 0.01 * random() : 0.15 * random(),
      errorsPerFailure: random() < 0.5 ? 0 : 2 * random(),
    };
  });
  const inserted = await client.query<{ id: string }>(
    `insert into transaction_groups (project_id, name, op, method)
     select * from unnest($1::int[], $2::text[], $3::text[], $4::text[]) returning id`,
    [
      specs.map((s) => o.projectIds[s.projectIdx]),
      specs.map((s) => s.name),
      specs.map((s) => s.op),
      specs.map((s) => s.method),
    ],
  );
  const groups: Group[] = specs.map((s, i) => ({ ...s, id: Number(inserted.rows[i]!.id) }));

  const statRows: unknown[][] = [];
  const errorRows: unknown[][] = [];
  const insertStats = async (resolution: "h" | "d") => {
    if (statRows.length === 0) return;
    const cols = Array.from({ length: 9 }, (_, c) => statRows.map((r) => r[c]));
    await client.query(
      `insert into transaction_stats (group_id, project_id, resolution, bucket, environment, release, count, duration_sum, failures, sketch)
       select g, p, $10, b, e, r, n, s, f, k
       from unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::text[], $5::text[], $6::int[], $7::float8[], $8::int[], $9::bytea[])
         as t(g, p, b, e, r, n, s, f, k)`,
      [...cols, resolution],
    );
    flush(resolution, statRows.length);
    statRows.length = 0;
  };
  const insertErrors = async () => {
    if (errorRows.length === 0) return;
    const cols = Array.from({ length: 7 }, (_, c) => errorRows.map((r) => r[c]));
    await client.query(
      `insert into transaction_error_stats (project_id, resolution, bucket, name, environment, release, count)
       select * from unnest($1::int[], $2::char[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::int[])`,
      cols,
    );
    flush("e", errorRows.length);
    errorRows.length = 0;
  };

  let total = 0;
  let day = new Map<string, Cell & { group: Group; environment: string; release: string }>();
  let dayStart = Math.floor(firstHour / DAY) * DAY;
  const dayErrors = new Map<
    string,
    { projectId: number; name: string; environment: string; release: string; count: number }
  >();
  const flushDay = async () => {
    for (const c of day.values())
      statRows.push([
        c.group.id,
        o.projectIds[c.group.projectIdx],
        new Date(dayStart),
        c.environment,
        c.release,
        c.count,
        c.durationSum,
        c.failures,
        packSketch(c.sketch),
      ]);
    await insertStats("d");
    for (const e of dayErrors.values())
      errorRows.push([e.projectId, "d", new Date(dayStart), e.name, e.environment, e.release, e.count]);
    await insertErrors();
    day = new Map();
    dayErrors.clear();
  };

  for (let hour = firstHour; hour <= lastHour; hour += HOUR) {
    if (Math.floor(hour / DAY) * DAY !== dayStart) {
      await flushDay();
      dayStart = Math.floor(hour / DAY) * DAY;
    }
    const hourOfDay = new Date(hour).getUTCHours();
    const cycle = 1 + 0.5 * Math.sin(((hourOfDay - 8) / 24) * 2 * Math.PI);
    const share = hour === lastHour ? lastHourShare : 1;
    const hourIndex = (hour - firstHour) / HOUR;
    for (const g of groups) {
      const expected = g.perHour * cycle * share;
      const n = Math.floor(expected) + (random() < expected - Math.floor(expected) ? 1 : 0);
      if (n === 0) continue;
      const cells = new Map<string, Cell & { environment: string; release: string }>();
      const releaseNo = Math.floor((hourIndex + g.projectIdx * 11) / RELEASE_EVERY_HOURS);
      for (let i = 0; i < n; i++) {
        const environment = random() < STAGING_SHARE ? ENVIRONMENTS[1] : ENVIRONMENTS[0];
        const straggler =
          releaseNo > 0 && (hourIndex + g.projectIdx * 11) % RELEASE_EVERY_HOURS < 24 && random() < 0.2;
        const release = `app@1.${releaseNo - (straggler ? 1 : 0)}.0`;
        const slow = random() < 0.02 ? 10 : 1;
        const duration = g.medianMs * Math.exp(g.sigma * gauss()) * slow;
        const status = random() < g.failureRate ? "internal_error" : "ok";
        const key = `${environment}|${release}`;
        let cell = cells.get(key);
        if (!cell) {
          cell = { count: 0, durationSum: 0, failures: 0, sketch: {}, environment, release };
          cells.set(key, cell);
        }
        cell.count++;
        cell.durationSum += duration;
        if (isFailedStatus(status)) cell.failures++;
        addToSketch(cell.sketch, duration);
      }
      total += n;
      for (const [key, c] of cells) {
        statRows.push([
          g.id,
          o.projectIds[g.projectIdx],
          new Date(hour),
          c.environment,
          c.release,
          c.count,
          c.durationSum,
          c.failures,
          packSketch(c.sketch),
        ]);
        let d = day.get(`${g.id}|${key}`);
        if (!d) {
          d = {
            count: 0,
            durationSum: 0,
            failures: 0,
            sketch: {},
            group: g,
            environment: c.environment,
            release: c.release,
          };
          day.set(`${g.id}|${key}`, d);
        }
        d.count += c.count;
        d.durationSum += c.durationSum;
        d.failures += c.failures;
        mergeSketch(d.sketch, c.sketch);
        const errors = Math.round(c.failures * g.errorsPerFailure);
        if (errors > 0) {
          errorRows.push([
            o.projectIds[g.projectIdx],
            "h",
            new Date(hour),
            g.name,
            c.environment,
            c.release,
            errors,
          ]);
          const e = dayErrors.get(`${g.id}|${key}`);
          if (e) e.count += errors;
          else
            dayErrors.set(`${g.id}|${key}`, {
              projectId: o.projectIds[g.projectIdx]!,
              name: g.name,
              environment: c.environment,
              release: c.release,
              count: errors,
            });
        }
      }
      if (statRows.length >= 5000) await insertStats("h");
      if (errorRows.length >= 5000) await insertErrors();
    }
    await insertStats("h");
    await insertErrors();
  }
  await flushDay();
  return total;
}

/** Both orgs (the one under test and another the tenant filter must leave out), their stats. */
export async function seedPerformance(client: pg.Client, o: PerfSeedOptions): Promise<PerfSeedResult> {
  const started = performance.now();
  await client.query("set timezone = 'UTC'");
  await client.query("set synchronous_commit = off");
  // The rows are consistent by construction: no per-row foreign key triggers while seeding.
  await client.query("set session_replication_role = replica");

  const orgs = await client.query<{ id: number; slug: string }>(
    `insert into organizations (slug, name) values ('bench', 'Bench Org'), ('bench-other', 'Other Org') returning id, slug`,
  );
  const users = await client.query<{ id: number; email: string }>(
    `insert into users (email, name) values ('owner@bench.local', 'Bench Owner'), ('owner@other.local', 'Other Owner') returning id, email`,
  );
  const orgOf = async (slug: string, email: string, projects: number): Promise<PerfSeededOrg> => {
    const id = orgs.rows.find((r) => r.slug === slug)!.id;
    const ownerId = users.rows.find((u) => u.email === email)!.id;
    await client.query(`insert into memberships (org_id, user_id, role) values ($1, $2, 'owner')`, [
      id,
      ownerId,
    ]);
    const rows = await client.query<{ id: number }>(
      `insert into projects (org_id, slug, name, platform)
       select $1, $2 || '-' || i, 'Project ' || i, 'node' from generate_series(1, $3::int) i returning id`,
      [id, slug, projects],
    );
    return { id, slug, ownerId, projectIds: rows.rows.map((r) => r.id) };
  };
  const org = await orgOf("bench", "owner@bench.local", o.projects);
  const other = await orgOf("bench-other", "owner@other.local", 2);

  const counts = { h: 0, d: 0, e: 0 };
  let lastLog = performance.now();
  const flush = (kind: "h" | "d" | "e", n: number) => {
    counts[kind] += n;
    if (performance.now() - lastLog > 15_000) {
      lastLog = performance.now();
      o.log(`seeding: ${counts.h} hourly, ${counts.d} daily, ${counts.e} error-count rows so far`);
    }
  };
  const transactions = await seedOrg(
    client,
    {
      projectIds: org.projectIds,
      names: o.names,
      transactions: o.transactions,
      days: o.days,
      skew: o.skew,
      now: o.now,
      seed: 22,
    },
    flush,
  );
  await seedOrg(
    client,
    {
      projectIds: other.projectIds,
      names: o.otherNames,
      transactions: o.otherTransactions,
      days: o.days,
      skew: o.skew,
      now: o.now,
      seed: 7,
    },
    flush,
  );
  await client.query("set session_replication_role = origin");
  await client.query("vacuum analyze transaction_groups, transaction_stats, transaction_error_stats");
  return {
    org,
    other,
    hourlyRows: counts.h,
    dailyRows: counts.d,
    errorRows: counts.e,
    transactions,
    totalMs: performance.now() - started,
  };
}
