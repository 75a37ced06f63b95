// Billing on (retention by plan applies), before lib/ reads the environment.
import "../support/billing-env";
import { describe, expect, it } from "vitest";
import { unsafeEnforceRetention } from "@/lib/billing/retention";
import { db } from "@/lib/db";
import { listPartitions, partitionName, TRANSACTIONS, unsafeCreatePartitions, WEEK, weekStart } from "@/lib/partitions";
import { traceForViewer } from "@/lib/performance/trace";
import { transactionEvent, transactionForSpan } from "@/lib/performance/transaction-event";
import { listTransactions } from "@/lib/performance/transactions-list";
import { processors } from "@/workers/processors";
import { drainAll } from "../support/drain";
import { createOrgWithProject } from "../support/factories";
import { privateDatabase } from "../support/private-database";
import { queueEntry } from "../support/stream-entry";
import { newIds, streamedSegment, streamedSpan } from "../support/streamed-spans";
import { nodeTransaction } from "../support/transactions";

// A database of its own: the clock here moves months ahead. The worker stores a transaction at
// its own clock (received_at defaults to now()), so a row is put in another week by moving its
// received_at afterwards: as if the worker had stored it then.
privateDatabase("tx_partitions");
const DAY = 86_400_000;
const base = weekStart(Date.now());

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
const viewerOf = (tenant: Tenant) => ({ userId: tenant.user.id, orgId: tenant.org.id, role: "owner" as const });

const queue = (projectId: number, type: "transaction" | "span", eventId: string, payload: unknown) =>
  queueEntry(projectId, { type, eventId, payload: JSON.stringify(payload) });

/** A transaction as @sentry/node sends it, stored by the worker's batch path; its document. */
async function receive(projectId: number, options: { eventId?: string; route?: number } = {}) {
  const doc = { ...nodeTransaction(options.route ?? 0, { spans: 5 }), ...(options.eventId ? { event_id: options.eventId } : {}) };
  await queue(projectId, "transaction", doc.event_id, doc);
  await drainAll(projectId);
  return doc;
}

/** Moves a stored transaction (and its dedupe key) to `receivedAt`, as if stored then. */
async function storedAt(projectId: number, eventId: string, receivedAt: number) {
  const at = new Date(receivedAt);
  await db().$executeRaw`update transactions set received_at = ${at} where project_id = ${projectId} and event_id = ${eventId}`;
  await db().$executeRaw`update transaction_ids set received_at = ${at} where project_id = ${projectId} and event_id = ${eventId}`;
}

async function whereIs(projectId: number, eventId: string): Promise<string[]> {
  const rows = await db().$queryRaw<{ partition: string }[]>`
    select tableoid::regclass::text as partition from transactions where project_id = ${projectId} and event_id = ${eventId}`;
  return rows.map((r) => r.partition);
}

const statsCount = async (projectId: number) =>
  (
    await db().transactionStat.aggregate({ where: { projectId, resolution: "h" }, _sum: { count: true } })
  )._sum.count ?? 0;

const weekNames = (from: number, weeks: number) => Array.from({ length: weeks }, (_, i) => partitionName(TRANSACTIONS, from + i * WEEK));

describe("transactions partitioned by week of received_at", () => {
  it("the migration made this week and two ahead; the partition job makes transactions' weeks with events'", async () => {
    expect((await listPartitions(TRANSACTIONS)).map((p) => p.name)).toEqual([...weekNames(base, 3), "transactions_default"]);
    const later = base + 5 * WEEK + 2 * DAY;
    expect(await unsafeCreatePartitions(TRANSACTIONS, { now: later })).toEqual(weekNames(base + 5 * WEEK, 3));
    expect(await unsafeCreatePartitions(TRANSACTIONS, { now: later })).toEqual([]);
    const job = processors.find((p) => p.name === "create-event-partitions")!;
    expect(await job.handle({}, undefined as never)).toEqual([]);
    // Made apart and attached: the parent's indexes, foreign keys (project, group) and compression.
    const week5 = partitionName(TRANSACTIONS, base + 5 * WEEK);
    const [shape] = await db().$queryRaw<{ indexes: number; fks: number; compression: string }[]>`
      select (select count(*)::int from pg_index where indrelid = ${week5}::regclass) as indexes,
             (select count(*)::int from pg_constraint where conrelid = ${week5}::regclass and contype = 'f') as fks,
             (select attcompression::text from pg_attribute where attrelid = ${week5}::regclass and attname = 'payload') as compression`;
    const [parent] = await db().$queryRaw<{ compression: string }[]>`
      select attcompression::text as compression from pg_attribute where attrelid = 'transactions'::regclass and attname = 'payload'`;
    expect(shape).toEqual({ indexes: 6, fks: 2, compression: parent!.compression });
  });

  it("a transaction resent after a week boundary is one row, counted once in the stats", async () => {
    const a = await createOrgWithProject();
    const b = await createOrgWithProject();
    await unsafeCreatePartitions(TRANSACTIONS, { now: base - WEEK });
    const first = await receive(a.project.id);
    await storedAt(a.project.id, first.event_id, base - WEEK + DAY);
    expect(await whereIs(a.project.id, first.event_id)).toEqual([partitionName(TRANSACTIONS, base - WEEK)]);
    expect(await statsCount(a.project.id)).toBe(1);

    // The SDK (or a replayed backlog) sends it again, stored a week later than the first copy.
    await receive(a.project.id, { eventId: first.event_id });
    // The same id in another tenant's project is another transaction.
    await receive(b.project.id, { eventId: first.event_id });
    expect(await whereIs(a.project.id, first.event_id)).toEqual([partitionName(TRANSACTIONS, base - WEEK)]);
    expect(await whereIs(b.project.id, first.event_id)).toEqual([partitionName(TRANSACTIONS, base)]);
    expect(await statsCount(a.project.id)).toBe(1);
    expect(await statsCount(b.project.id)).toBe(1);
    expect(await db().transactionId.count({ where: { eventId: first.event_id } })).toBe(2);
    // Each went through the batch: none set aside as failing.
    expect(await db().deadLetter.count()).toBe(0);
  });

  it("late spans join their stored transaction, also once it is in an older week's partition", async () => {
    const { project } = await createOrgWithProject();
    const ids = newIds();
    await queue(project.id, "span", "", { version: 2, items: [streamedSpan(ids), streamedSegment(ids)] });
    await drainAll(project.id);
    const [stored] = await db().transaction.findMany({ where: { projectId: project.id }, select: { eventId: true, spanCount: true } });
    expect(stored).toMatchObject({ spanCount: 1 });
    await storedAt(project.id, stored!.eventId, base - WEEK + 2 * DAY);

    await queue(project.id, "span", "", { version: 2, items: [streamedSpan(ids, { name: "INSERT INTO audit_log" })] });
    await drainAll(project.id);
    const rows = await db().transaction.findMany({ where: { projectId: project.id }, select: { spanCount: true, payload: true } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.spanCount).toBe(2);
    expect(JSON.stringify(rows[0]!.payload)).toContain("INSERT INTO audit_log");
    expect(await whereIs(project.id, stored!.eventId)).toEqual([partitionName(TRANSACTIONS, base - WEEK)]);
  });

  it("an org's transactions past its plan's retention are not served while they wait for the job or their week's drop", async () => {
    const free = await createOrgWithProject(); // keeps 30 days
    const team = await createOrgWithProject({ plan: "team" }); // keeps 90 days
    const now = Date.now();
    const ages = { free: [40, 10], team: [95, 80] };
    for (const [tenant, [old, kept]] of [[free, ages.free], [team, ages.team]] as const) {
      const viewer = viewerOf(tenant);
      const oldDoc = await receive(tenant.project.id);
      const keptDoc = await receive(tenant.project.id);
      await storedAt(tenant.project.id, oldDoc.event_id, now - old! * DAY);
      await storedAt(tenant.project.id, keptDoc.event_id, now - kept! * DAY);
      expect(await db().transaction.count({ where: { projectId: tenant.project.id } })).toBe(2);

      const listed = await listTransactions(viewer, {
        projectIds: null,
        transaction: oldDoc.transaction,
        op: null,
        method: null,
        environment: null,
        release: null,
        start: new Date(now - DAY),
        end: new Date(now + DAY),
        sort: "-timestamp",
        cursor: null,
        perPage: 50,
      });
      expect(listed.transactions.map((t) => t.eventID)).toEqual([keptDoc.event_id]);
      expect(await transactionEvent(viewer, tenant.project.slug, keptDoc.event_id)).not.toBeNull();
      expect(await transactionEvent(viewer, tenant.project.slug, oldDoc.event_id)).toBeNull();
      const traceOf = (doc: typeof oldDoc) => doc.contexts.trace.trace_id;
      expect(await traceForViewer(viewer, traceOf(oldDoc))).toBeNull();
      expect((await traceForViewer(viewer, traceOf(keptDoc)))!.transactions.map((t) => t.eventID)).toEqual([keptDoc.event_id]);
      const rootOf = (doc: typeof oldDoc) => doc.contexts.trace.span_id;
      expect(await transactionForSpan(viewer, traceOf(oldDoc), rootOf(oldDoc), oldDoc.transaction)).toBeNull();
      expect(await transactionForSpan(viewer, traceOf(keptDoc), rootOf(keptDoc), null)).toEqual({
        projectSlug: tenant.project.slug,
        eventId: keptDoc.event_id,
      });
    }
  });
});

describe("retention of transactions by partition, with a movable clock", () => {
  it("drops whole weeks past the longest plan retention with their ids, keeps the newer; a shorter plan's go by rows before", async () => {
    const free = await createOrgWithProject(); // keeps 30 days
    const team = await createOrgWithProject({ plan: "team" }); // keeps 90 days
    const stored = async (projectId: number) =>
      (
        await db().transaction.findMany({ where: { projectId }, select: { receivedAt: true }, orderBy: { receivedAt: "asc" } })
      ).map((t) => t.receivedAt.getTime());

    // Week 0, then the worker's clock runs on to week 8 (the job making its weeks) and more come.
    const early = base + DAY;
    const late = base + 8 * WEEK + DAY;
    for (let week = 1; week <= 8; week++) await unsafeCreatePartitions(TRANSACTIONS, { now: base + week * WEEK });
    for (const tenant of [free, team]) {
      await storedAt(tenant.project.id, (await receive(tenant.project.id)).event_id, early);
      await storedAt(tenant.project.id, (await receive(tenant.project.id, { route: 1 })).event_id, late);
    }

    // Day 58: the free org's early transaction is past its 30 days and goes by rows; no week is past 90 days.
    const first = await unsafeEnforceRetention({ now: base + 58 * DAY });
    expect(first.transactionPartitions).toBe(0);
    expect(first.transactions).toBeGreaterThanOrEqual(1);
    expect(await stored(free.project.id)).toEqual([late]);
    expect(await stored(team.project.id)).toEqual([early, late]);
    expect((await listPartitions(TRANSACTIONS)).map((p) => p.name)).toContain(partitionName(TRANSACTIONS, base));

    // Day 97 and an hour: week 0 (and the week before it, made above) is wholly older than 90
    // days and is dropped, the team's early transaction with it; the free org's late one is past 30 days.
    const second = await unsafeEnforceRetention({ now: base + 97 * DAY + 3_600_000 });
    expect(second.transactionPartitions).toBeGreaterThanOrEqual(1);
    const names = (await listPartitions(TRANSACTIONS)).map((p) => p.name);
    expect(names).not.toContain(partitionName(TRANSACTIONS, base));
    expect(names).toContain(partitionName(TRANSACTIONS, base + 8 * WEEK));
    expect(await stored(free.project.id)).toEqual([]);
    expect(await stored(team.project.id)).toEqual([late]);
    // The dropped weeks' dedupe keys went with them; the late ones' stay (until their week goes).
    const keys = await db().transactionId.findMany({
      where: { projectId: { in: [free.project.id, team.project.id] } },
      select: { receivedAt: true },
    });
    expect(keys.map((k) => k.receivedAt.getTime())).toEqual([late, late]);
    expect(second.transactionIds).toBeGreaterThanOrEqual(2);
  });
});
