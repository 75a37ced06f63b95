// Billing on (retention by plan applies), before lib/ reads the environment.
import "../support/billing-env";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EVENT_PARTITION_HORIZON_DAYS, unsafeEnforceRetention } from "@/lib/billing/retention";
import { closeDb, db } from "@/lib/db";
import { setDatabaseUrl } from "@/lib/env";
import { listEventPartitions, partitionName, WEEK, weekStart } from "@/lib/events/partitions";
import { entryMeta } from "@/lib/events/stream";
import { laneOf, projectStreamKey } from "@/lib/ingest/stream-keys";
import { migrate } from "@/lib/migrate";
import { closeRedis, redis } from "@/lib/redis";
import { drainAll } from "../support/drain";
import { newEventId } from "../support/envelopes";
import { ROOT } from "../support/processes";
import { queryOnce } from "../support/query-once";

// An install made before events were partitioned, with events in it, migrated by this code:
// every row stays (as the partition events_legacy), the dedupe keys come from them, and the
// legacy partition goes whole once all of it is past retention.
const PARTITIONING = "20261205022400";
const name = `errorhub_partitions_up_${process.pid}_${Date.now().toString(36)}`;
const server = inject("databaseServer");
const databaseUrl = Object.assign(new URL(server), { pathname: `/${name}` }).toString();
const work = mkdtempSync(path.join(tmpdir(), "errorhub-partitions-up-"));
const DAY = 86_400_000;

const sql = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => queryOnce<T>(databaseUrl, text, values);

const onServer = async (text: string) => void (await queryOnce(server, text));

type Row = { id: string; project_id: number; event_id: string; received_at: Date; payload: unknown };
const allEvents = () => sql<Row>("select id::text, project_id, event_id, received_at, payload from events order by id");
let before: Row[] = [];

beforeAll(async () => {
  await onServer(`create database "${name}"`);
  // The migrations before partitioning.
  const dir = path.join(work, "migrations");
  execFileSync("mkdir", ["-p", dir]);
  for (const file of readdirSync(path.join(ROOT, "prisma/migrations"))) {
    if (file < PARTITIONING) copyFileSync(path.join(ROOT, "prisma/migrations", file), path.join(dir, file));
  }
  execFileSync(path.join(ROOT, "node_modules/.bin/dbmate"), ["--no-dump-schema", "--migrations-dir", dir, "up"], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: "ignore",
  });
  // Two tenants on the team plan (90 days) with events received over the last 200 days; the same
  // event id in both projects (unique per project, as before).
  await sql(`
    with o as (insert into organizations (slug, name, plan, subscription_status)
               values ('up-a', 'A', 'team', 'active'), ('up-b', 'B', 'team', 'active') returning id),
         p as (insert into projects (org_id, slug, name, platform, next_short_id) select id, 'app', 'App', 'node', 2 from o returning id),
         i as (insert into issues (project_id, short_id, title, times_seen, first_seen, last_seen)
               select id, 1, 'Error: old', 4, now() - interval '200 days', now() from p returning id, project_id)
    insert into events (project_id, issue_id, event_id, timestamp, received_at, payload)
    select project_id, id, case when n = 4 then repeat('ab', 16) else md5(project_id || '-' || n) end,
           now() - d * interval '1 day', now() - d * interval '1 day',
           json_build_object('message', 'old event ' || n)
    from i, unnest(array[1, 2, 3, 4], array[200, 40, 1, 0]) as x(n, d)`);
  before = await allEvents();
  expect(before).toHaveLength(8);

  await migrate(databaseUrl);
  setDatabaseUrl(databaseUrl);
}, 120_000);

afterAll(async () => {
  await closeDb();
  await closeRedis();
  await onServer(`drop database if exists "${name}" with (force)`);
  rmSync(work, { recursive: true, force: true });
});

async function receive(projectId: number, eventId: string, receivedAt: number) {
  const payload = JSON.stringify({ event_id: eventId, timestamp: receivedAt / 1000, platform: "node", message: "Error: old" });
  const meta = entryMeta({ type: "event", eventId, clientIp: "203.0.113.9", receivedAt, sentAt: undefined });
  await redis().xadd(projectStreamKey(projectId, laneOf([{ type: "event", eventId }])), "*", "m", meta, "h", '{"type":"event"}', "p", payload);
  await drainAll(projectId);
}

describe("partitioning an install that has events", () => {
  it("keeps every row as the legacy partition, dedupes against them, and drops that partition whole once it is past retention", async () => {
    // Every row, unchanged, in the legacy partition (attached, not copied), which reaches up to
    // the first week made after it.
    expect(await allEvents()).toEqual(before);
    expect(await sql("select distinct tableoid::regclass::text as partition from events")).toEqual([{ partition: "events_legacy" }]);
    const firstWeek = weekStart(Date.now()) + WEEK;
    const partitions = await listEventPartitions();
    expect(partitions.map((p) => [p.name, p.from?.getTime() ?? null, p.to?.getTime() ?? null])).toEqual([
      ["events_legacy", null, firstWeek],
      ...[0, 1, 2].map((i) => [partitionName(firstWeek + i * WEEK), firstWeek + i * WEEK, firstWeek + (i + 1) * WEEK]),
      ["events_default", null, null],
    ]);
    // Its dedupe keys: one per stored event.
    expect(await sql("select count(*)::int as n from event_ids")).toEqual([{ n: 8 }]);

    const [a, b] = (await db().project.findMany({ orderBy: { id: "asc" }, select: { id: true } })).map((p) => p.id);
    // An SDK resends an old event: still one row, not counted again.
    const resent = before.find((e) => e.project_id === a && (e.payload as { message: string }).message === "old event 2")!;
    await receive(a!, resent.event_id, Date.now());
    expect(await db().event.count({ where: { projectId: a } })).toBe(4);
    expect(await db().issue.findFirst({ where: { projectId: a }, select: { timesSeen: true } })).toEqual({ timesSeen: 4 });
    // A new one is stored, with an id after the old ones (the sequence moved to the new table).
    const fresh = newEventId();
    await receive(a!, fresh, Date.now());
    const [stored] = await sql<{ id: string; partition: string }>(
      "select id::text, tableoid::regclass::text as partition from events where event_id = $1",
      [fresh],
    );
    expect(BigInt(stored!.id)).toBeGreaterThan(BigInt(before.at(-1)!.id));
    expect(stored!.partition).toBe("events_legacy");
    // Both went through the batch: none set aside as failing.
    expect(await sql("select count(*)::int as n from dead_letters")).toEqual([{ n: 0 }]);

    // 90 days after the legacy partition's end it is dropped, all at once; the sequence stays.
    const run = await unsafeEnforceRetention({ now: firstWeek + EVENT_PARTITION_HORIZON_DAYS * DAY + 3_600_000 });
    expect(run.eventPartitions).toBe(1);
    expect((await listEventPartitions()).map((p) => p.name)).not.toContain("events_legacy");
    expect(await db().event.count({ where: { projectId: { in: [a!, b!] } } })).toBe(0);
    expect(await sql("select count(*)::int as n from event_ids")).toEqual([{ n: 0 }]);
    const later = newEventId();
    await receive(b!, later, Date.now());
    const [next] = await sql<{ id: string }>("select id::text from events where event_id = $1", [later]);
    expect(BigInt(next!.id)).toBeGreaterThan(BigInt(stored!.id));
  });
});
