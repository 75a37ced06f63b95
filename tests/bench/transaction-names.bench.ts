/**
 * What transaction name normalization and the per-project group bound cost the worker (issue
 * #22; a script, not a vitest test):
 *
 *   npx tsx tests/bench/transaction-names.bench.ts [--n 2000] [--rounds 7]
 *
 * CPU, in process: prepareTransaction of the typical 30-span Node transaction
 * (tests/support/transactions.ts) named by its route, against the same transaction named by
 * its URL with an id in it (source "url", which normalization scrubs), and scrubIdentifiers
 * alone over those URL names.
 *
 * Store, in a fresh database errorhub_nbench_<pid> (migrated, dropped at the end): N prepared
 * transactions stored as the drain stores them (storeTransactions in batches of 500, one
 * sqlTransaction each, generic plans) in three cases, each on a project of its own:
 * - known: the 5 route names, whose groups exist (the usual batch);
 * - new names: every transaction a name never seen (a client minting names), on a project of
 *   its own each round, under the bound;
 * - at the bound: the same on a project already holding 10,000 groups (to placeholders).
 * Rounds alternate the cases; best and median per transaction are printed, and the ratio of
 * each case to "known" in the same run. Then the bound's own statements alone (boundNewGroups,
 * rolled back, 50 times): 1 and 500 new names on a project at 9,500 groups (the count at its
 * costliest while names are still let in), and 500 on the project at the bound.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { migrate } from "../../lib/migrate";
import { nodeTransaction } from "../support/transactions";
import { dropDatabase } from "./build";
import { cleanups, log, printRows, runBench } from "./harness";

const { values: opts } = parseArgs({
  options: {
    n: { type: "string", default: "2000" },
    rounds: { type: "string", default: "7" },
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
  },
});
const N = Number(opts.n);
const ROUNDS = Number(opts.rounds);
const BATCH = 500;
const SEEDED_GROUPS = 10_000;
// room for one more batch of new names, and the count at its most
const NEAR_GROUPS = SEEDED_GROUPS - 500;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const best = (xs: number[]) => Math.min(...xs);
// what the timed work returns goes here, so none of it is optimized away
let sink = 0;

async function main(): Promise<number> {
  const admin = new URL(opts["pg-url"]);
  const name = `errorhub_nbench_${process.pid}`;
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`create database "${name}"`);
  await client.end();
  cleanups.push(() => dropDatabase(admin.toString(), name));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  // lib/ reads DATABASE_URL when its first query runs
  process.env.DATABASE_URL = url.toString();
  const { sqlRows, sqlTransaction, closeDb } = await import("../../lib/db");
  const { prepareTransaction } = await import("../../lib/performance/transaction-document");
  const { storeTransactions } = await import("../../lib/performance/store-transactions");
  const { scrubIdentifiers } = await import("../../lib/performance/transaction-name");
  const { boundNewGroups } = await import("../../lib/performance/group-bound");
  cleanups.push(closeDb);

  const ctx = (eventId: string) => ({
    eventId,
    receivedAt: new Date(),
    scrub: true,
    itemType: "transaction" as const,
  });
  const routed = Array.from({ length: N }, (_, i) => JSON.stringify(nodeTransaction(i)));
  const urlNamed = Array.from({ length: N }, (_, i) => {
    const t = nodeTransaction(i);
    return JSON.stringify({
      ...t,
      transaction: `GET /api/orders/${100_000 + i}/items`,
      transaction_info: { source: "url" },
    });
  });
  const urlNames = urlNamed.map((json) => JSON.parse(json).transaction as string);

  // CPU: prepare by route against by URL, and the scrub alone
  const cpu = { route: [] as number[], url: [] as number[], scrub: [] as number[] };
  const time = (work: () => void) => {
    const t0 = process.hrtime.bigint();
    work();
    return Number(process.hrtime.bigint() - t0) / 1000 / N;
  };
  for (let round = 0; round < ROUNDS; round++) {
    const prepareAll = (jsons: string[]) => () => {
      for (const json of jsons)
        sink += prepareTransaction(JSON.parse(json), ctx("0".repeat(32))).payloadJson.length;
    };
    cpu.route.push(time(prepareAll(routed)));
    cpu.url.push(time(prepareAll(urlNamed)));
    cpu.scrub.push(
      time(() => {
        for (const n of urlNames) sink += scrubIdentifiers(n).length;
      }),
    );
  }

  // Store: a project per case (a fresh one each round for new names), fresh transactions
  const [org] = await sqlRows<{ id: number }>`
    insert into organizations (slug, name) values (${`nbench-${process.pid}`}, 'bench') returning id`;
  const project = async (slug: string) => {
    const [row] = await sqlRows<{ id: number }>`
      insert into projects (org_id, slug, name) values (${org!.id}, ${slug}, ${slug}) returning id`;
    return row!.id;
  };
  const seed = (projectId: number, count: number) => sqlRows`
    insert into transaction_groups (project_id, name, op, method)
    select ${projectId}::int, 'GET /seeded/' || n, 'http.server', 'GET' from generate_series(1, ${count}::int) n`;
  const projects = {
    known: await project("known"),
    fresh: 0,
    bound: await project("bound"),
    near: await project("near"),
  };
  await seed(projects.bound, SEEDED_GROUPS);
  await seed(projects.near, NEAR_GROUPS);
  await sqlRows`vacuum analyze transaction_groups`;

  let serial = 0;
  const prepared = (fresh: boolean) =>
    Array.from({ length: N }, (_, i) => {
      const t = nodeTransaction(i);
      const raw = fresh ? { ...t, transaction: `GET /minted/${process.pid}-${serial++}` } : t;
      return { entryId: "1-0", ...prepareTransaction(raw, ctx(t.event_id)) };
    });
  const store = async (projectId: number, items: ReturnType<typeof prepared>) => {
    const t0 = performance.now();
    for (let i = 0; i < items.length; i += BATCH) {
      const batch = items.slice(i, i + BATCH);
      await sqlTransaction((tx) => storeTransactions(tx, projectId, batch), { genericPlans: true });
    }
    return ((performance.now() - t0) * 1000) / items.length;
  };
  // the known project's groups exist before its first timed round
  await store(projects.known, prepared(false));
  const db = { known: [] as number[], fresh: [] as number[], bound: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    projects.fresh = await project(`fresh-${round}`);
    const order = (["known", "fresh", "bound"] as const).slice();
    if (round % 2 === 1) order.reverse();
    for (const which of order) db[which].push(await store(projects[which], prepared(which !== "known")));
  }

  // The bound's own statements alone, rolled back: what a batch with a new name pays on top.
  // Under the bound the count is the whole cost; its worst case is a project near the bound.
  const newKeys = Array.from({ length: BATCH }, (_, i) => ({
    name: `GET /never/${i}`,
    op: "http.server",
    method: "GET",
  }));
  const bound = { one: [] as number[], batch: [] as number[], past: [] as number[] };
  const timeBound = async (projectId: number, keys: typeof newKeys) => {
    let ms = 0;
    const rollback = new Error("rollback");
    await sqlTransaction(
      async (tx) => {
        const t0 = performance.now();
        sink += (await boundNewGroups(tx, projectId, keys)).create.length;
        ms = performance.now() - t0;
        throw rollback;
      },
      { genericPlans: true },
    ).catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
    return ms;
  };
  await sqlRows`vacuum analyze transaction_groups`;
  for (let i = 0; i < 50; i++) {
    bound.one.push(await timeBound(projects.near, newKeys.slice(0, 1)));
    bound.batch.push(await timeBound(projects.near, newKeys));
    bound.past.push(await timeBound(projects.bound, newKeys));
  }
  // what a group costs while it is seen: a stats row per hour (and per day), environment and release
  const [statRow] = await sqlRows<{ bytes: number }>`
    select avg(pg_column_size(s.*))::int as bytes from transaction_stats s where resolution = 'h'`;
  const groups = await sqlRows<{ project_id: number; groups: number; placeholder: number }>`
    select project_id, count(*)::int as groups, count(*) filter (where name = '<< unparameterized >>')::int as placeholder
    from transaction_groups group by project_id order by project_id`;

  log(`N = ${N} per case and round, ${ROUNDS} rounds, batches of ${BATCH}; µs per transaction`);
  const row = (label: string, xs: number[], base: number[]) => [
    label,
    best(xs).toFixed(1),
    median(xs).toFixed(1),
    (median(xs) / median(base)).toFixed(3),
  ];
  printRows([
    ["case", "best", "median", "ratio (median)"],
    row("prepare, named by route", cpu.route, cpu.route),
    row("prepare, named by URL (scrubbed)", cpu.url, cpu.route),
    row("scrubIdentifiers alone", cpu.scrub, cpu.route),
    row("store, known names", db.known, db.known),
    row("store, every name new", db.fresh, db.known),
    row(`store, new names at ${SEEDED_GROUPS} groups`, db.bound, db.known),
  ]);
  const ms = (label: string, xs: number[]) =>
    log(
      `${label}: median ${median(xs).toFixed(2)} ms, best ${best(xs).toFixed(2)} ms (${((median(xs) * 1000) / BATCH).toFixed(1)} µs per transaction of a batch of ${BATCH})`,
    );
  ms(`boundNewGroups, 1 new name, project at ${NEAR_GROUPS} groups`, bound.one);
  ms(`boundNewGroups, ${BATCH} new names, project at ${NEAR_GROUPS} groups`, bound.batch);
  ms(`boundNewGroups, ${BATCH} new names, project at the bound (to placeholders)`, bound.past);
  log(`an hourly stats row: ${statRow!.bytes} bytes on average (sketch included)`);
  for (const g of groups) log(`project ${g.project_id}: ${g.groups} groups, ${g.placeholder} placeholder`);
  if (sink === 0) log("(sink)");
  return 0;
}

await runBench(main);
