/**
 * What one alert delivery costs the worker (a script, not a vitest test):
 *
 *   npm run bench:alert-delivery -- [--n 300] [--rounds 2]
 *
 * A worker process (dist/workers/worker.js, rebuilt when older than lib/ or workers/) alone on a
 * fresh database works through batches of queued jobs while its CPU time is read from /proc:
 * N trivial maintenance jobs (cleanup-sessions: BullMQ's own cost plus one query, the baseline),
 * N webhook deliveries to a node:http receiver and N email deliveries to an SMTP server (both in
 * this process, on 127.0.0.1), in rounds after a warm-up. Prints CPU ms per job of each kind and its ratio to the
 * baseline measured in the same round.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { statSync, existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import { migrate } from "../../lib/migrate";
import { ROOT, buildBundles, deleteKeys, dropDatabase, newestSource, productionFlags } from "./build";
import { cleanups, log, printRows, runBench } from "./harness";
import { cpuSeconds, machineSpeedMs, sleep, startNode, stopChild } from "./procs";

const { values: opts } = parseArgs({
  options: {
    n: { type: "string", default: "300" },
    rounds: { type: "string", default: "2" },
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
  },
});
const N = Number(opts.n);
const ROUNDS = Number(opts.rounds);
const PREFIX = `adbench${process.pid}`;
const DB_NAME = `errorhub_adbench_${process.pid}`;
// Jobs of each kind run once before the rounds, unmeasured: the first of a kind loads code
// (Prisma's query compiler for the baseline's query, nodemailer, the HTTP agent).
const WARM_UP = 20;

async function main(): Promise<number> {
  const dbUrl = new URL(opts["pg-url"]);
  dbUrl.pathname = `/${DB_NAME}`;
  cleanups.push(() => dropDatabase(opts["pg-url"], DB_NAME));
  await migrate(dbUrl.href);
  const redis = new Redis(opts["redis-url"]);
  cleanups.push(async () => {
    await deleteKeys(redis, `${PREFIX}:*`);
    redis.disconnect();
  });

  let arrived = 0;
  const http = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      arrived++;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on("end", () => {
        arrived++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", () => resolve()));
  cleanups.push(async () => {
    http.close();
    smtp.close();
  });

  const db = new pg.Client({ connectionString: dbUrl.href });
  await db.connect();
  cleanups.push(() => db.end());
  const ids = await seed(db, `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`);

  const worker = path.join(ROOT, "dist/workers/worker.js");
  if (!existsSync(worker) || newestSource() > statSync(worker).mtimeMs) {
    log("dist/workers/worker.js missing or older than lib/ or workers/: building it");
    await buildBundles(["workers/worker.ts"], path.join(ROOT, "dist/workers"), []);
  }
  const child = await startNode("worker", [...productionFlags("worker").split(/\s+/), worker], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      NODE_ENV: "production",
      DATABASE_URL: dbUrl.href,
      REDIS_URL: opts["redis-url"],
      REDIS_PREFIX: PREFIX,
      AUTH_SECRET: randomBytes(32).toString("hex"),
      APP_URL: "http://127.0.0.1:3000",
      SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
      LOG_LEVEL: "info",
      DEMO_ACCOUNT: "off",
    },
    ready: /worker started/,
  });
  cleanups.push(() => stopChild(child));

  const connection = new Redis(opts["redis-url"], { maxRetriesPerRequest: null });
  const alerts = new Queue("alerts", { connection, prefix: PREFIX });
  const maintenance = new Queue("maintenance", { connection, prefix: PREFIX });
  cleanups.push(async () => {
    await alerts.close();
    await maintenance.close();
    connection.disconnect();
  });
  const idle = async (queue: Queue) => {
    for (;;) {
      // not "delayed": the maintenance queue's schedulers always have their next run there
      const counts = await queue.getJobCounts("waiting", "active", "prioritized");
      if (Object.values(counts).every((c) => c === 0)) return;
      await sleep(20);
    }
  };
  /** Worker CPU ms for one batch of jobs, from the first add until all are done. */
  const measure = async (add: () => Promise<unknown>, done: () => Promise<void>) => {
    const before = cpuSeconds(child.pid)!;
    await add();
    await done();
    return (cpuSeconds(child.pid)! - before) * 1000;
  };
  const deliveries = (rows: string[]) =>
    alerts.addBulk(
      rows.map((id) => ({ name: "deliver-alert", data: { deliveryId: id }, opts: { jobId: `alert-${id}` } })),
    );
  const untilArrived = (count: number) => async () => {
    while (arrived < count) await sleep(20);
  };

  log(
    `worker pid ${child.pid}; ${N} jobs of each kind per round, ${ROUNDS} rounds; machine ${os.cpus().length} CPUs`,
  );
  await maintenance.addBulk(Array.from({ length: WARM_UP }, () => ({ name: "cleanup-sessions", data: {} })));
  await idle(maintenance);
  await deliveries([...ids.webhook.slice(-WARM_UP), ...ids.email.slice(-WARM_UP)]);
  await untilArrived(arrived + 2 * WARM_UP)();
  const rows: string[][] = [["round", "kind", "worker CPU ms", "ms per job", "x baseline"]];
  const speedBefore = machineSpeedMs();
  for (let round = 0; round < ROUNDS; round++) {
    const baseline = await measure(
      () => maintenance.addBulk(Array.from({ length: N }, () => ({ name: "cleanup-sessions", data: {} }))),
      () => idle(maintenance),
    );
    const slice = (list: string[]) => list.slice(round * N, (round + 1) * N);
    const webhook = await measure(() => deliveries(slice(ids.webhook)), untilArrived(arrived + N));
    const email = await measure(() => deliveries(slice(ids.email)), untilArrived(arrived + N));
    for (const [kind, ms] of [
      ["cleanup-sessions (baseline)", baseline],
      ["webhook delivery", webhook],
      ["email delivery", email],
    ] as const)
      rows.push([String(round + 1), kind, ms.toFixed(0), (ms / N).toFixed(2), (ms / baseline).toFixed(2)]);
  }
  printRows(rows);
  log(
    `machine speed: fixed task ${speedBefore.toFixed(1)} ms before, ${machineSpeedMs().toFixed(1)} ms after`,
  );
  await idle(alerts);
  return 0;
}

/** A tenant with an issue, its event, a webhook rule and an email rule, and N x rounds delivery rows of each. */
async function seed(db: pg.Client, hook: string): Promise<{ webhook: string[]; email: string[] }> {
  const one = async (sql: string, values: unknown[]) =>
    (await db.query<{ id: number }>(sql, values)).rows[0]!.id;
  const user = await one(
    "insert into users (email, email_verified_at) values ('owner@example.com', now()) returning id",
    [],
  );
  const org = await one("insert into organizations (slug, name) values ('bench', 'Bench') returning id", []);
  await db.query("insert into memberships (org_id, user_id, role) values ($1, $2, 'owner')", [org, user]);
  const project = await one(
    "insert into projects (org_id, slug, name) values ($1, 'web', 'Web') returning id",
    [org],
  );
  const issue = await one(
    "insert into issues (project_id, short_id, title, culprit, first_seen, last_seen) values ($1, 1, 'TypeError: x is undefined', 'app.js in run', now(), now()) returning id",
    [project],
  );
  const eventId = randomBytes(16).toString("hex");
  const payload = {
    level: "error",
    platform: "node",
    exception: {
      values: [
        {
          type: "TypeError",
          value: "x is undefined",
          stacktrace: { frames: [{ filename: "app.js", function: "run", lineno: 3 }] },
        },
      ],
    },
  };
  await db.query(
    `insert into events (project_id, issue_id, event_id, timestamp, received_at, level, platform, title, tags, payload)
     values ($1, $2, $3, now(), now(), 'error', 'node', 'TypeError: x is undefined', '[["level","error"]]', $4)`,
    [project, issue, eventId, JSON.stringify(payload)],
  );
  const rows = async (action: object) => {
    const rule = await one(
      "insert into alert_rules (project_id, name, conditions, actions) values ($1, 'bench', '[]', $2) returning id",
      [project, JSON.stringify([action])],
    );
    const { rows: created } = await db.query<{ id: string }>(
      "insert into alert_deliveries (rule_id, issue_id, event_id, action) select $1, $2, $3, $4 from generate_series(1, $5) returning id",
      [rule, issue, eventId, JSON.stringify(action), N * ROUNDS + WARM_UP],
    );
    return created.map((r) => r.id);
  };
  return {
    webhook: await rows({ id: "errorhub.actions.webhook", url: hook }),
    email: await rows({
      id: "sentry.mail.actions.NotifyEmailAction",
      targetType: "IssueOwners",
      fallthroughType: "AllMembers",
    }),
  };
}

await runBench(main);
