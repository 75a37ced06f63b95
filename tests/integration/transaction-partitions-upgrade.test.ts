// Billing on (retention by plan applies), before lib/ reads the environment.
import "../support/billing-env";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import { PARTITION_HORIZON_DAYS, unsafeEnforceRetention } from "@/lib/billing/retention";
import { db } from "@/lib/db";
import { migrate } from "@/lib/migrate";
import { listPartitions, partitionName, TRANSACTIONS, WEEK, weekStart } from "@/lib/partitions";
import { transactionEvent } from "@/lib/performance/transaction-event";
import { drainAll } from "../support/drain";
import { migrateBefore } from "../support/migrate-before";
import { privateDatabase } from "../support/private-database";
import { queryOnce } from "../support/query-once";
import { queueEntry } from "../support/stream-entry";
import { nodeTransaction } from "../support/transactions";

// An install made before transactions were partitioned, with transactions in it, migrated by
// this code: every row stays (as the partition transactions_legacy) with received_at from its
// own timestamp, the dedupe keys come from them, and the legacy partition goes whole once all of
// it is past retention.
const PARTITIONING = "20261205060000";
const DAY = 86_400_000;

type Row = { id: string; project_id: number; event_id: string; timestamp: Date; payload: unknown };
const allTransactions = () => sql<Row>("select id::text, project_id, event_id, timestamp, payload from transactions order by id");
let before: Row[] = [];
let migratedAt = 0;

const databaseUrl = privateDatabase("tx_partitions_up", async (url) => {
  migrateBefore(url, PARTITIONING);
  // Two tenants on the team plan (90 days) with transactions that ended over the last 200 days,
  // and one an SDK with its clock two days ahead sent; the same event id in both projects.
  await sql(`
    with o as (insert into organizations (slug, name, plan, subscription_status)
               values ('up-a', 'A', 'team', 'active'), ('up-b', 'B', 'team', 'active') returning id),
         p as (insert into projects (org_id, slug, name, platform) select id, 'app', 'App', 'node' from o returning id),
         g as (insert into transaction_groups (project_id, name, op, method)
               select id, 'GET /api/cart', 'http.server', 'GET' from p returning id, project_id)
    insert into transactions (project_id, group_id, event_id, name, op, method, duration_ms, start_timestamp, timestamp, payload)
    select project_id, id, case when n = 4 then repeat('ab', 16) else md5(project_id || '-' || n) end,
           'GET /api/cart', 'http.server', 'GET', 20, now() - d * interval '1 day', now() - d * interval '1 day',
           json_build_object('message', 'old transaction ' || n)
    from g, unnest(array[1, 2, 3, 4, 5], array[200, 40, 1, 0, -2]) as x(n, d)`);
  before = await allTransactions();
  expect(before).toHaveLength(10);

  migratedAt = Date.now();
  await migrate(url);
});
const sql = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => queryOnce<T>(databaseUrl, text, values);

async function receive(projectId: number, eventId?: string) {
  const doc = { ...nodeTransaction(0, { spans: 3 }), ...(eventId ? { event_id: eventId } : {}) };
  await queueEntry(projectId, { type: "transaction", eventId: doc.event_id, payload: JSON.stringify(doc) });
  await drainAll(projectId);
  return doc.event_id;
}

describe("partitioning an install that has transactions", () => {
  it("keeps every row as the legacy partition, dedupes against them, serves them, and drops that partition whole past retention", async () => {
    // Every row, unchanged, in the legacy partition, which reaches up to the first week made after it.
    expect(await allTransactions()).toEqual(before);
    expect(await sql("select distinct tableoid::regclass::text as partition from transactions")).toEqual([
      { partition: "transactions_legacy" },
    ]);
    const firstWeek = weekStart(Date.now()) + WEEK;
    expect((await listPartitions(TRANSACTIONS)).map((p) => [p.name, p.from?.getTime() ?? null, p.to?.getTime() ?? null])).toEqual([
      ["transactions_legacy", null, firstWeek],
      ...[0, 1, 2].map((i) => [partitionName(TRANSACTIONS, firstWeek + i * WEEK), firstWeek + i * WEEK, firstWeek + (i + 1) * WEEK]),
      ["transactions_default", null, null],
    ]);
    // received_at: the row's own timestamp, or the migration's clock for one ahead of it.
    const received = await sql<{ timestamp: Date; received_at: Date }>("select timestamp, received_at from transactions");
    for (const row of received) {
      if (row.timestamp.getTime() <= migratedAt) expect(row.received_at).toEqual(row.timestamp);
      else expect(row.received_at.getTime()).toBeLessThanOrEqual(Date.now());
    }
    // Its dedupe keys: one per stored transaction, with the rows' received_at.
    expect(await sql("select count(*)::int as n from transaction_ids")).toEqual([{ n: 10 }]);

    const [a, b] = (await db().project.findMany({ orderBy: { id: "asc" }, select: { id: true, slug: true } })).map((p) => p.id);
    const [orgA] = await db().organization.findMany({ where: { slug: "up-a" }, select: { id: true } });
    const viewer = { userId: 0, orgId: orgA!.id, role: "owner" as const };
    // Reads of legacy rows: one a day old is served, one 200 days old is past the plan's 90.
    const ofAge = (days: number) =>
      before.find((t) => t.project_id === a && Math.round((migratedAt - t.timestamp.getTime()) / DAY) === days)!.event_id;
    expect(await transactionEvent(viewer, "app", ofAge(1))).toMatchObject({ eventID: ofAge(1) });
    expect(await transactionEvent(viewer, "app", ofAge(200))).toBeNull();

    // An SDK resends an old transaction: still one row, not counted in the stats.
    await receive(a!, ofAge(40));
    expect(await db().transaction.count({ where: { projectId: a } })).toBe(5);
    expect(await db().transactionStat.count({ where: { projectId: a } })).toBe(0);
    // A new one is stored, counted, with an id after the old ones (the sequence moved to the new table).
    const fresh = await receive(a!);
    const [stored] = await sql<{ id: string; partition: string }>(
      "select id::text, tableoid::regclass::text as partition from transactions where event_id = $1",
      [fresh],
    );
    expect(BigInt(stored!.id)).toBeGreaterThan(BigInt(before.at(-1)!.id));
    expect(stored!.partition).toBe("transactions_legacy");
    expect(await db().transactionStat.count({ where: { projectId: a } })).toBeGreaterThan(0);
    expect(await sql("select count(*)::int as n from dead_letters")).toEqual([{ n: 0 }]);

    // 90 days after the legacy partition's end it is dropped, all at once, with its keys; the sequence stays.
    const run = await unsafeEnforceRetention({ now: firstWeek + PARTITION_HORIZON_DAYS * DAY + 3_600_000 });
    expect(run.transactionPartitions).toBe(1);
    expect((await listPartitions(TRANSACTIONS)).map((p) => p.name)).not.toContain("transactions_legacy");
    expect(await db().transaction.count({ where: { projectId: { in: [a!, b!] } } })).toBe(0);
    expect(await sql("select count(*)::int as n from transaction_ids")).toEqual([{ n: 0 }]);
    const later = await receive(b!);
    const [next] = await sql<{ id: string }>("select id::text from transactions where event_id = $1", [later]);
    expect(BigInt(next!.id)).toBeGreaterThan(BigInt(stored!.id));
  });
});
