/**
 * What storing error events costs PostgreSQL and the worker, in CPU time rather than rates
 * (a script, not a vitest test): CPU seconds are what the processes themselves used, so the
 * figure holds on a machine busy with other work, where bench:processing's rates and its
 * machine-wide PostgreSQL CPU do not.
 *
 *   npx tsx tests/bench/event-store-cost.bench.ts [--events 20000] [--resend]
 *
 * A fresh database errorhub_escost_<pid> (migrated by this checkout's migrations, dropped at
 * the end) and Redis prefix escost<pid>; a warm-up tenant's 2,000 events first (JIT, pools),
 * then N distinct ~2.5 KB error events over 100 issue shapes put on one project's streams as
 * ingest would, and drained in this process by the drain jobs' code (drainBatch, 500 a batch).
 * --resend: then the same N events again (every one a duplicate: the dedupe path alone).
 * --delete: then deletes the project's events by rows as the retention job does for an org
 * whose plan keeps less than the partition horizon (batches of 1,000), and, partitioned, drops
 * the partition instead: the CPU of the backend doing it, per event.
 * Prints CPU µs per event of this process (the worker's code) and of the PostgreSQL backends
 * serving the database (/proc/<pid>/stat of each), and the bytes the events took on disk
 * (events with every partition, plus event_ids when it exists). To compare two versions, run
 * it in a checkout of each (git archive <commit> | tar -x -C dir; link node_modules).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pg from "pg";

const { values: opts } = parseArgs({
  options: {
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    events: { type: "string", default: "20000" },
    resend: { type: "boolean", default: false },
    delete: { type: "boolean", default: false },
  },
});
const N = Number(opts.events);
const DB = `errorhub_escost_${process.pid}`;
const url = new URL(opts["pg-url"]!);
url.pathname = `/${DB}`;
process.env.DATABASE_URL = url.href;
process.env.REDIS_PREFIX = `escost${process.pid}`;
process.env.LOG_LEVEL = "warn";

const { migrate } = await import("../../lib/migrate");
const { entryMeta } = await import("../../lib/events/stream");
const { laneOf, projectStreamKey } = await import("../../lib/ingest/stream-keys");
const { redis, closeRedis } = await import("../../lib/redis");
const { closeDb } = await import("../../lib/db");
const { drainAll } = await import("../support/drain");

const admin = new pg.Client({ connectionString: opts["pg-url"] });
await admin.connect();
await admin.query(`create database ${DB}`);
const client = new pg.Client({ connectionString: url.href });

const TICK_US = 10_000; // /proc stat times are in clock ticks (USER_HZ 100)
function backendCpuUs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_US; // utime, stime
  } catch {
    return 0;
  }
}

async function backends(): Promise<Map<number, number>> {
  const { rows } = await client.query<{ pid: number }>(
    "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
  );
  return new Map(rows.map((r) => [r.pid, backendCpuUs(r.pid)]));
}

function event(shape: number, eventId: string, receivedAt: number): string {
  const frames = Array.from({ length: 12 }, (_, i) => ({
    filename: `/app/src/module${shape}/file${i}.js`,
    function: `handler${shape}_${i}`,
    lineno: 10 + i,
    colno: 5,
    in_app: i > 3,
    context_line: `    const value = compute${i}(input, options); // shape ${shape}`,
  }));
  return JSON.stringify({
    event_id: eventId,
    timestamp: receivedAt / 1000,
    platform: "node",
    level: "error",
    release: "app@1.0.0",
    environment: "production",
    exception: { values: [{ type: `Error${shape}`, value: `Something failed in step ${shape}`, stacktrace: { frames } }] },
    tags: { route: `/api/items/${shape}`, region: "eu" },
    user: { id: String(Math.floor(Math.random() * 500)) },
    contexts: { os: { name: "Linux" }, runtime: { name: "node", version: "20.19.0" } },
  });
}

async function enqueue(projectId: number, ids: string[]): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < ids.length; i += 500) {
    const pipeline = redis().pipeline();
    for (const [j, eventId] of ids.slice(i, i + 500).entries()) {
      const meta = entryMeta({ type: "event", eventId, clientIp: "203.0.113.9", receivedAt: now, sentAt: undefined });
      pipeline.xadd(projectStreamKey(projectId, laneOf([{ type: "event", eventId }])), "*", "m", meta, "h", '{"type":"event"}', "p", event((i + j) % 100, eventId, now));
    }
    await pipeline.exec();
  }
}

async function tenant(label: string): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    `with o as (insert into organizations (slug, name) values ($1, $1) returning id)
     insert into projects (org_id, slug, name, platform) select id, $1, $1, 'node' from o returning id`,
    [label],
  );
  return rows[0]!.id;
}

async function measure(projectId: number, ids: string[]) {
  await enqueue(projectId, ids);
  const before = await backends();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await drainAll(projectId);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = await backends();
  let pgUs = 0;
  for (const [pid, us] of after) pgUs += us - (before.get(pid) ?? 0);
  return {
    events: ids.length,
    wallMs: Math.round(wall),
    workerUsPerEvent: Math.round((cpu.user + cpu.system) / ids.length),
    postgresUsPerEvent: Math.round(pgUs / ids.length),
  };
}

/** The retention job's row delete of one project's events, in its own connection: that backend's CPU per event. */
async function deleteByRows(projectId: number) {
  const { rows: kind } = await client.query<{ partitioned: boolean }>(
    "select relkind = 'p' as partitioned from pg_class where relname = 'events'",
  );
  const partitioned = kind[0]!.partitioned;
  const deleter = new pg.Client({ connectionString: url.href });
  await deleter.connect();
  try {
    const { rows } = await deleter.query<{ pid: number }>("select pg_backend_pid() as pid");
    const pid = rows[0]!.pid;
    const cutoff = new Date(Date.now() + 60_000);
    const cpu0 = backendCpuUs(pid);
    let total = 0;
    for (;;) {
      const statement = partitioned
        ? `delete from events where received_at < $2 and (id, received_at) in (
             select id, received_at from events where project_id = any($1::int[]) and received_at < $2 limit 1000)`
        : "delete from events where id in (select id from events where project_id = any($1::int[]) and received_at < $2 limit 1000)";
      const n = (await deleter.query(statement, [[projectId], cutoff])).rowCount ?? 0;
      total += n;
      if (n < 1000) break;
    }
    const byRowsUs = backendCpuUs(pid) - cpu0;
    return { partitioned, events: total, postgresUsPerEvent: Math.round(byRowsUs / Math.max(1, total)) };
  } finally {
    await deleter.end();
  }
}

try {
  await migrate(url.href);
  await client.connect();
  const warm = await tenant("warm");
  await measure(warm, Array.from({ length: 2000 }, () => randomUUID().replaceAll("-", "")));
  const project = await tenant("measured");
  const ids = Array.from({ length: N }, () => randomUUID().replaceAll("-", ""));
  const stored = await measure(project, ids);
  const resent = opts.resend ? await measure(project, ids) : null;
  const { rows: counts } = await client.query<{ n: number }>("select count(*)::int as n from events where project_id = $1", [project]);
  if (counts[0]!.n !== N) throw new Error(`stored ${counts[0]!.n} events, expected ${N}`);
  const { rows: size } = await client.query<{ events: string; event_ids: string }>(`
    select (select coalesce(sum(pg_total_relation_size(inhrelid)), 0) from pg_inherits where inhparent = 'events'::regclass)
           + pg_total_relation_size('events') as events,
           coalesce((select pg_total_relation_size(oid) from pg_class where relname = 'event_ids' and relkind = 'r'), 0) as event_ids`);
  const total = N + 2000;
  const deleted = opts.delete ? await deleteByRows(project) : null;
  const result = {
    stored,
    resent,
    deleted,
    bytesPerEvent: {
      events: Math.round(Number(size[0]!.events) / total),
      eventIds: Math.round(Number(size[0]!.event_ids) / total),
    },
  };
  console.log(JSON.stringify(result));
} finally {
  await client.end().catch(() => {});
  await closeDb();
  const keys = await redis().keys(`escost${process.pid}*`);
  if (keys.length > 0) await redis().del(...keys);
  await closeRedis();
  await admin.query(`drop database if exists ${DB} with (force)`);
  await admin.end();
}
