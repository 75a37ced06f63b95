// Billing on (retention by plan applies), before lib/ reads the environment.
import "../support/billing-env";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { PARTITION_HORIZON_DAYS, unsafeEnforceRetention } from "@/lib/billing/retention";
import { db } from "@/lib/db";
import { EVENTS, listPartitions, partitionName, WEEK, weekStart } from "@/lib/partitions";
import { migrate } from "@/lib/migrate";
import { drainAll } from "../support/drain";
import { newEventId } from "../support/envelopes";
import { migrateBefore } from "../support/migrate-before";
import { privateDatabase } from "../support/private-database";
import { queryOnce } from "../support/query-once";
import { queueEntry } from "../support/stream-entry";

// An install made before events were partitioned, with events in it, migrated by this code:
// every row stays (as the partition events_legacy), the dedupe keys come from them, and the
// legacy partition goes whole once all of it is past retention.
const PARTITIONING = "20261205022400";
const DAY = 86_400_000;

type Row = { id: string; project_id: number; event_id: string; received_at: Date; payload: unknown };
const allEvents = () => sql<Row>("select id::text, project_id, event_id, received_at, payload from events order by id");
let before: Row[] = [];

const databaseUrl = privateDatabase("partitions_up", async (url) => {
  migrateBefore(url, PARTITIONING);
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

  await migrate(url);
});
const sql = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => queryOnce<T>(databaseUrl, text, values);

async function receive(projectId: number, eventId: string, receivedAt: number) {
  const payload = JSON.stringify({ event_id: eventId, timestamp: receivedAt / 1000, platform: "node", message: "Error: old" });
  await queueEntry(projectId, { type: "event", eventId, payload, receivedAt });
  await drainAll(projectId);
}

describe("partitioning an install that has events", () => {
  it("keeps every row as the legacy partition, dedupes against them, and drops that partition whole once it is past retention", async () => {
    // Every row, unchanged, in the legacy partition (attached, not copied), which reaches up to
    // the first week made after it.
    expect(await allEvents()).toEqual(before);
    expect(await sql("select distinct tableoid::regclass::text as partition from events")).toEqual([{ partition: "events_legacy" }]);
    const firstWeek = weekStart(Date.now()) + WEEK;
    const partitions = await listPartitions(EVENTS);
    expect(partitions.map((p) => [p.name, p.from?.getTime() ?? null, p.to?.getTime() ?? null])).toEqual([
      ["events_legacy", null, firstWeek],
      ...[0, 1, 2].map((i) => [partitionName(EVENTS, firstWeek + i * WEEK), firstWeek + i * WEEK, firstWeek + (i + 1) * WEEK]),
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
    const run = await unsafeEnforceRetention({ now: firstWeek + PARTITION_HORIZON_DAYS * DAY + 3_600_000 });
    expect(run.eventPartitions).toBe(1);
    expect((await listPartitions(EVENTS)).map((p) => p.name)).not.toContain("events_legacy");
    expect(await db().event.count({ where: { projectId: { in: [a!, b!] } } })).toBe(0);
    expect(await sql("select count(*)::int as n from event_ids")).toEqual([{ n: 0 }]);
    const later = newEventId();
    await receive(b!, later, Date.now());
    const [next] = await sql<{ id: string }>("select id::text from events where event_id = $1", [later]);
    expect(BigInt(next!.id)).toBeGreaterThan(BigInt(stored!.id));
  });
});
