import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { redis } from "@/lib/redis";
import { bucketOf, dayOf, flushingKey, flushingSetKey, outcomeBucketKey, outcomeBucketSetKey, outcomeFieldPrefix } from "@/lib/usage/outcome-buckets";
import { flushOutcomes } from "@/lib/usage/flush-outcomes";
import { createOrgWithProject } from "../support/factories";

async function count(orgId: number, projectId: number, ms: number, field: string, n: number) {
  const bucket = bucketOf(ms);
  await redis().hincrby(outcomeBucketKey(bucket), `${outcomeFieldPrefix(orgId, projectId, dayOf(ms))}${field}`, n);
  await redis().sadd(outcomeBucketSetKey(), bucket);
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
    const counters = await redis().hgetall(outcomeBucketKey(bucket));
    await flushOutcomes();
    expect(await totals(org.id)).toEqual([["accepted", "", 5]]);

    // A crash between the commit and the Redis cleanup leaves the batch behind: put it back.
    const flushed = await db().outcomeFlush.findFirstOrThrow({ where: { id: { startsWith: `${bucket}:` } } });
    await redis().hset(flushingKey(flushed.id), counters);
    await redis().sadd(flushingSetKey(), flushed.id);
    await flushOutcomes();
    expect(await totals(org.id)).toEqual([["accepted", "", 5]]);
    expect(await redis().sismember(flushingSetKey(), flushed.id)).toBe(0);
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
