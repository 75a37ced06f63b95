import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { redis } from "@/lib/redis";
import {
  bucketOf,
  dayOf,
  droppedOutcomesKey,
  flushAttemptsKey,
  flushingKey,
  flushingSetKey,
  outcomeBucketKey,
  outcomeBucketSetKey,
  outcomeFieldPrefix,
} from "@/lib/usage/outcome-buckets";
import { flushOutcomes } from "@/lib/usage/flush-outcomes";
import { createOrgWithProject } from "../support/factories";

async function count(orgId: number, projectId: number, ms: number, field: string, n: number) {
  const bucket = bucketOf(ms);
  // As ingest counts: per project in a Redis Cluster, one hash for all projects on one server.
  await redis().hincrby(outcomeBucketKey(bucket, projectId), `${outcomeFieldPrefix(orgId, projectId, dayOf(ms))}${field}`, n);
  await redis().sadd(outcomeBucketSetKey(projectId), bucket);
}

const totals = async (orgId: number) =>
  (await db().outcomeCount.findMany({ where: { orgId }, orderBy: [{ outcome: "asc" }, { reason: "asc" }] })).map((o) => [
    o.outcome,
    o.reason,
    Number(o.quantity),
  ]);

describe("flush-outcomes", () => {
  it("adds finished minute buckets to outcome_counts and leaves the current minute alone", async () => {
    const { org, project } = await createOrgWithProject();
    // Yesterday at noon (UTC): counts are kept per day, and minutes around the real time can
    // straddle midnight when the suite runs then.
    const now = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 12 * 3_600_000;
    await count(org.id, project.id, now - 5 * 60_000, "error|accepted|", 7);
    await count(org.id, project.id, now - 4 * 60_000, "error|accepted|", 3);
    await count(org.id, project.id, now - 4 * 60_000, "error|rate_limited|key_quota", 2);
    await count(org.id, project.id, now, "error|accepted|", 100);
    await flushOutcomes(now);
    expect(await totals(org.id)).toEqual([
      ["accepted", "", 10],
      ["rate_limited", "key_quota", 2],
    ]);
    await flushOutcomes(now + 3 * 60_000);
    expect(await totals(org.id)).toEqual([
      ["accepted", "", 110],
      ["rate_limited", "key_quota", 2],
    ]);
  });

  it("never counts a batch twice when a flush is retried after its commit", async () => {
    const { org, project } = await createOrgWithProject();
    // A minute of its own, so the batch found below is this test's.
    const past = Date.now() - (10_000 + Math.floor(Math.random() * 500_000)) * 60_000;
    await count(org.id, project.id, past, "error|accepted|", 5);
    const bucket = bucketOf(past);
    const counters = await redis().hgetall(outcomeBucketKey(bucket, project.id));
    await flushOutcomes();
    expect(await totals(org.id)).toEqual([["accepted", "", 5]]);

    // A crash between the commit and the Redis cleanup leaves the batch behind: put it back.
    const flushed = await db().outcomeFlush.findFirstOrThrow({ where: { id: { startsWith: `${bucket}:` } } });
    await redis().hset(flushingKey(flushed.id, project.id), counters);
    await redis().sadd(flushingSetKey(project.id), flushed.id);
    await flushOutcomes();
    expect(await totals(org.id)).toEqual([["accepted", "", 5]]);
    expect(await redis().sismember(flushingSetKey(project.id), flushed.id)).toBe(0);
  });

  it("ignores malformed fields and projects that no longer exist", async () => {
    const { org, project } = await createOrgWithProject();
    const past = Date.now() - 10 * 60_000;
    await count(org.id, project.id, past, "error|accepted|", 1);
    await count(org.id, 999_999_999, past, "error|accepted|", 1);
    await count(org.id, project.id, past, "error|bogus|", 1);
    await flushOutcomes();
    expect(await totals(org.id)).toEqual([["accepted", "", 1]]);
  });
});

describe("flush-outcomes isolation", () => {
  it("stores other orgs' rows when one org's rows fail, retries those a few runs, then drops and counts them", async () => {
    const a = await createOrgWithProject();
    const b = await createOrgWithProject();
    const past = Date.now() - (20_000 + Math.floor(Math.random() * 500_000)) * 60_000;
    const day = new Date(dayOf(past));
    // Org A's counter is at bigint's maximum: adding to it fails, as any row could fail for a reason of its own.
    await db().outcomeCount.create({
      data: { orgId: a.org.id, projectId: a.project.id, day, category: "error", outcome: "accepted", reason: "", quantity: 9_223_372_036_854_775_807n },
    });
    const dropped = Number((await redis().get(droppedOutcomesKey())) ?? 0);
    await count(a.org.id, a.project.id, past, "error|accepted|", 1);
    await count(a.org.id, a.project.id, past, "transaction|accepted|", 4);
    await count(b.org.id, b.project.id, past, "error|accepted|", 2);
    await flushOutcomes();
    expect(await totals(b.org.id)).toEqual([["accepted", "", 2]]);

    // B's minute after it is not held up either, and B is never counted twice.
    await count(b.org.id, b.project.id, past + 60_000, "error|accepted|", 3);
    for (let run = 2; run <= 5; run++) await flushOutcomes();
    expect(await totals(b.org.id)).toEqual([["accepted", "", 5]]);
    // A's rows failed every attempt: dropped and counted, its transaction row with them.
    expect(await db().outcomeCount.count({ where: { orgId: a.org.id, category: "transaction" } })).toBe(0);
    expect(Number(await redis().get(droppedOutcomesKey()))).toBe(dropped + 2);
    expect(await redis().hlen(flushAttemptsKey())).toBe(0);
    const left = [...(await redis().smembers(flushingSetKey(a.project.id))), ...(await redis().smembers(flushingSetKey(b.project.id)))];
    expect(left.filter((id) => id.startsWith(`${bucketOf(past)}:`))).toEqual([]);
  });

  it("takes only fields of six known parts: a counter name with extra `|` is dropped, not split", async () => {
    const { org, project } = await createOrgWithProject();
    const past = Date.now() - 30 * 60_000;
    const dropped = Number((await redis().get(droppedOutcomesKey())) ?? 0);
    await count(org.id, project.id, past, "error|accepted|||filtered|unsupported_item_type", 5);
    await count(org.id, project.id, past, "error|accepted||x|filtered|", 5);
    await count(org.id, project.id, past, "made-up|accepted|", 5);
    await count(org.id, project.id, past, "error|accepted|made-up", 5);
    await count(org.id, project.id, past, "unknown|filtered|unsupported_item_type", 1);
    await flushOutcomes();
    expect(await totals(org.id)).toEqual([["filtered", "unsupported_item_type", 1]]);
    expect(Number(await redis().get(droppedOutcomesKey()))).toBe(dropped + 4);
  });
});
