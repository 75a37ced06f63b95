// Billing on (retention by plan applies), before lib/ reads the environment.
import "../support/billing-env";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { unsafeEnforceRetention } from "@/lib/billing/retention";
import { issueEvent, listIssueEvents } from "@/lib/issues/events";
import { db } from "@/lib/db";
import { EVENTS, listPartitions, partitionName, unsafeCreatePartitions, unsafeDropPartitions, WEEK, weekStart } from "@/lib/partitions";
import { processors } from "@/workers/processors";
import { drainAll } from "../support/drain";
import { newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { privateDatabase } from "../support/private-database";
import { queueEntry } from "../support/stream-entry";

// A database of its own: the clock here moves months ahead.
const databaseUrl = privateDatabase("partitions");
const DAY = 86_400_000;
// The week the test starts in; the movable clock counts from it.
const base = weekStart(Date.now());

/**
 * An error event as ingest would have queued it at `receivedAt` (the server's clock, which
 * picks the partition), with the SDK's own timestamp, stored by the worker's batch path.
 */
async function receive(projectId: number, receivedAt: number, options: { eventId?: string; timestamp?: number; message?: string } = {}) {
  const eventId = options.eventId ?? newEventId();
  const payload = JSON.stringify({
    event_id: eventId,
    timestamp: (options.timestamp ?? receivedAt) / 1000,
    platform: "node",
    level: "error",
    message: options.message ?? "Partitioned: something broke",
  });
  await queueEntry(projectId, { type: "event", eventId, payload, receivedAt });
  await drainAll(projectId);
  return eventId;
}

async function whereIs(projectId: number, eventId: string): Promise<string[]> {
  const rows = await db().$queryRaw<{ partition: string }[]>`
    select tableoid::regclass::text as partition from events where project_id = ${projectId} and event_id = ${eventId}`;
  return rows.map((r) => r.partition);
}

const weekNames = (from: number, weeks: number) => Array.from({ length: weeks }, (_, i) => partitionName(EVENTS, from + i * WEEK));

describe("events partitioned by week of received_at", () => {
  it("the migration made this week and two ahead; the job makes the weeks ahead of its clock, once", async () => {
    const names = (await listPartitions(EVENTS)).map((p) => p.name);
    // A fresh install has no legacy partition, only the default one and the weeks.
    expect(names).toEqual([...weekNames(base, 3), "events_default"]);
    expect(await unsafeCreatePartitions(EVENTS, { now: base + 3 * DAY })).toEqual([]);

    // Five weeks on: that week and the two after it, nothing in between (no clock was there).
    const later = base + 5 * WEEK + 2 * DAY;
    expect(await unsafeCreatePartitions(EVENTS, { now: later })).toEqual(weekNames(base + 5 * WEEK, 3));
    expect(await unsafeCreatePartitions(EVENTS, { now: later })).toEqual([]);
    // The worker runs it on the maintenance queue, hourly; at today's clock it has nothing to do.
    const job = processors.find((p) => p.name === "create-event-partitions")!;
    expect(job).toMatchObject({ queue: "maintenance", every: 3_600_000 });
    expect(await job.handle({}, undefined as never)).toEqual([]);
    const partitions = await listPartitions(EVENTS);
    const week5 = partitions.find((p) => p.name === partitionName(EVENTS, base + 5 * WEEK))!;
    expect([week5.from?.getTime(), week5.to?.getTime()]).toEqual([base + 5 * WEEK, base + 6 * WEEK]);
    // Made apart and attached: the parent's indexes, foreign keys and payload compression.
    const [shape] = await db().$queryRaw<{ indexes: number; fks: number; compression: string }[]>`
      select (select count(*)::int from pg_index where indrelid = ${week5.name}::regclass) as indexes,
             (select count(*)::int from pg_constraint where conrelid = ${week5.name}::regclass and contype = 'f') as fks,
             (select attcompression::text from pg_attribute where attrelid = ${week5.name}::regclass and attname = 'payload') as compression`;
    const [parent] = await db().$queryRaw<{ compression: string }[]>`
      select attcompression::text as compression from pg_attribute where attrelid = 'events'::regclass and attname = 'payload'`;
    expect(shape).toEqual({ indexes: 5, fks: 2, compression: parent!.compression });
  });

  it("stores an event received in a week without a partition (default partition) and moves it into its week once made", async () => {
    const { project } = await createOrgWithProject();
    const farAhead = base + 20 * WEEK + DAY;
    const ahead = await receive(project.id, farAhead);
    // An SDK timestamp years off does not matter: received_at picks the partition.
    const oddClock = await receive(project.id, base + DAY, { timestamp: Date.UTC(2001, 0, 1) });
    expect(await whereIs(project.id, ahead)).toEqual(["events_default"]);
    expect(await whereIs(project.id, oddClock)).toEqual([partitionName(EVENTS, base)]);

    expect(await unsafeCreatePartitions(EVENTS, { now: farAhead })).toEqual(weekNames(base + 20 * WEEK, 3));
    expect(await whereIs(project.id, ahead)).toEqual([partitionName(EVENTS, base + 20 * WEEK)]);
    expect(await db().$queryRaw`select count(*)::int as n from events_default`).toEqual([{ n: 0 }]);
  });

  it("dedupes an event id across partitions: the same event received in two weeks is one row, counted once", async () => {
    const a = await createOrgWithProject();
    const b = await createOrgWithProject();
    const eventId = newEventId();
    await receive(a.project.id, base + DAY, { eventId, timestamp: base + DAY });
    // The SDK sends it again two weeks later, with another timestamp.
    await receive(a.project.id, base + 2 * WEEK + DAY, { eventId, timestamp: base + 2 * WEEK });
    // The same id in another tenant's project is another event.
    await receive(b.project.id, base + 2 * WEEK + DAY, { eventId });
    expect(await whereIs(a.project.id, eventId)).toEqual([partitionName(EVENTS, base)]);
    expect(await whereIs(b.project.id, eventId)).toEqual([partitionName(EVENTS, base + 2 * WEEK)]);
    const issues = await db().issue.findMany({ where: { projectId: a.project.id }, select: { timesSeen: true } });
    expect(issues).toEqual([{ timesSeen: 1 }]);
    expect(await db().eventId.count({ where: { eventId } })).toBe(2);
  });
});

describe("retention by partition, with a movable clock", () => {
  it("drops whole weeks past the longest plan retention; a shorter plan's events go by rows before that", async () => {
    const free = await createOrgWithProject(); // keeps 30 days
    const team = await createOrgWithProject({ plan: "team" }); // keeps 90 days
    const stored = async (projectId: number) =>
      (await db().event.findMany({ where: { projectId }, select: { receivedAt: true }, orderBy: { receivedAt: "asc" } })).map((e) =>
        e.receivedAt.getTime(),
      );

    // Week 0, then the worker's clock runs on to week 8 (the job making its weeks) and more come.
    const early = base + DAY;
    for (const tenant of [free, team]) await receive(tenant.project.id, early, { message: `early ${tenant.org.id}` });
    for (let week = 1; week <= 8; week++) await unsafeCreatePartitions(EVENTS, { now: base + week * WEEK });
    const late = base + 8 * WEEK + DAY;
    for (const tenant of [free, team]) await receive(tenant.project.id, late, { message: `late ${tenant.org.id}` });

    // Day 58: the free org's early event is past its 30 days and goes by rows; no week is past 90 days.
    const first = await unsafeEnforceRetention({ now: base + 58 * DAY });
    expect(first).toMatchObject({ eventPartitions: 0, eventIds: 0 });
    expect(await stored(free.project.id)).toEqual([late]);
    expect(await stored(team.project.id)).toEqual([early, late]);
    expect((await listPartitions(EVENTS)).map((p) => p.name)).toContain(partitionName(EVENTS, base));

    // Day 97 and an hour: week 0 is wholly older than 90 days and is dropped (the team's early
    // event with it, by no DELETE); the free org's late event is past 30 days by now.
    const second = await unsafeEnforceRetention({ now: base + 97 * DAY + 3_600_000 });
    expect(second.eventPartitions).toBe(1);
    expect((await listPartitions(EVENTS)).map((p) => p.name)).not.toContain(partitionName(EVENTS, base));
    expect(await stored(free.project.id)).toEqual([]);
    expect(await stored(team.project.id)).toEqual([late]);
    // The dropped week's dedupe keys went with it; the late events' stay (until their week goes).
    const keys = await db().eventId.findMany({
      where: { projectId: { in: [free.project.id, team.project.id] } },
      select: { receivedAt: true },
    });
    expect(keys.map((k) => k.receivedAt.getTime())).toEqual([late, late]);
    expect(second.eventIds).toBeGreaterThanOrEqual(2);
    // The free org's issue of its early event was last seen 97 days ago: gone as before.
    expect(await db().issue.count({ where: { projectId: free.project.id } })).toBe(0);
  });

  it("an org's events past its plan's retention are not served while they wait for the job or their week's drop", async () => {
    const free = await createOrgWithProject(); // keeps 30 days
    const team = await createOrgWithProject({ plan: "team" }); // keeps 90 days
    const now = Date.now();
    const ages = { free: [40, 10], team: [95, 80] };
    for (const [tenant, [old, kept]] of [[free, ages.free], [team, ages.team]] as const) {
      const viewer = { userId: tenant.user.id, orgId: tenant.org.id, role: "owner" as const };
      const oldId = await receive(tenant.project.id, now - old! * DAY, { message: `retention ${tenant.org.id}` });
      const keptId = await receive(tenant.project.id, now - kept! * DAY, { message: `retention ${tenant.org.id}` });
      // Both rows are still stored (no retention run yet), one issue for both.
      expect(await db().event.count({ where: { projectId: tenant.project.id } })).toBe(2);
      const issue = await db().issue.findFirstOrThrow({ where: { projectId: tenant.project.id } });
      const listed = await listIssueEvents(viewer, issue.id, {});
      expect(listed.events.map((e) => e.event_id)).toEqual([keptId]);
      expect((await issueEvent(viewer, issue.id, { eventId: keptId })).event.event_id).toBe(keptId);
      await expect(issueEvent(viewer, issue.id, { eventId: oldId })).rejects.toMatchObject({ code: "not_found" });
      expect((await issueEvent(viewer, issue.id, "oldest")).event.event_id).toBe(keptId);
    }
  });

  it("a week whose lock is held by a long read stays for the next run instead of blocking everything", async () => {
    const week = partitionName(EVENTS, base + WEEK);
    const reader = new pg.Client({ connectionString: databaseUrl });
    await reader.connect();
    try {
      await reader.query("begin");
      await reader.query(`select count(*) from "${week}"`);
      const held = await unsafeDropPartitions(EVENTS, new Date(base + 2 * WEEK));
      expect(held.partitions).toEqual([]);
      await reader.query("commit");
      const released = await unsafeDropPartitions(EVENTS, new Date(base + 2 * WEEK));
      expect(released.partitions).toEqual([week]);
    } finally {
      await reader.end();
    }
  }, 30_000);

});
