import { afterAll, describe, expect, it } from "vitest";
import { env } from "@/lib/env";
import { acceptItems, closeAcceptConnection, type PreparedItem } from "@/lib/ingest/accept";
import type { KeyInfo } from "@/lib/ingest/keys";
import { allLanes, drainFlagKey, projectStreamKey } from "@/lib/ingest/stream-keys";
import { keyRateKey, orgQuotaKey } from "@/lib/ingest/counter-keys";
import { redis } from "@/lib/redis";
import { bucketOf, dayOf, outcomeBucketKey, outcomeFieldPrefix } from "@/lib/usage/outcome-buckets";
import { newEventId } from "../support/envelopes";
import { streamItems } from "../support/ingest";
import { createKey, createOrgWithProject } from "../support/factories";
import { db } from "@/lib/db";

afterAll(() => closeAcceptConnection());

function event(): PreparedItem {
  const eventId = newEventId();
  return {
    type: "event",
    category: "error",
    meter: 1,
    quantity: 1,
    itemHeader: Buffer.from('{"type":"event"}'),
    payload: Buffer.from(JSON.stringify({ event_id: eventId, message: "boom" })),
    eventId,
    filterReason: "",
  };
}

const NO_LIMITS = {
  monthlyErrors: null,
  projectErrorsPerHour: null,
  monthlyTransactions: null,
  projectTransactionsPerHour: null,
  monthlyAttachmentBytes: null,
  projectAttachmentBytesPerHour: null,
};

function keyInfo(
  { keyId, projectId, orgId }: { keyId: number; projectId: number; orgId: number },
  limits: Partial<Pick<KeyInfo, "rateLimit" | "limits">> = {},
): KeyInfo {
  return {
    keyId,
    projectId,
    orgId,
    active: true,
    rateLimit: null,
    limits: NO_LIMITS,
    filter: null,
    ...limits,
  };
}

const SENT_AT = "2026-11-28T12:00:00.000Z";

// Requests accepted in the same turn of the event loop share one call of ingest's script,
// which remembers stream lengths, counters, drain flags and outcomes within the call.
describe("requests that share one script call", () => {
  it("keep the backlog bound exact, queue one drain job per lane and count every outcome", async () => {
    const { org, project, key } = await createOrgWithProject();
    const info = keyInfo({ keyId: key.id, projectId: project.id, orgId: org.id });
    const bound = env().INGEST_MAX_BACKLOG;
    env().INGEST_MAX_BACKLOG = 5;
    try {
      const results = await Promise.all(Array.from({ length: 12 }, () => acceptItems(info, [event()], "203.0.113.7", SENT_AT)));
      expect(results.map((r) => r.accepted).reduce((a, b) => a + b)).toBe(5);
      expect(results.filter((r) => r.rateLimits.length > 0)).toHaveLength(7);
    } finally {
      env().INGEST_MAX_BACKLOG = bound;
    }
    const lengths = await Promise.all(allLanes.map((lane) => redis().xlen(projectStreamKey(project.id, lane))));
    expect(lengths.reduce((a, b) => a + b)).toBe(5);
    for (const lane of allLanes) {
      expect(await redis().exists(drainFlagKey(project.id, lane))).toBe(lengths[lane]! > 0 ? 1 : 0);
    }
    const now = Date.now();
    const outcomes = await redis().hgetall(outcomeBucketKey(bucketOf(now), project.id));
    const prefix = outcomeFieldPrefix(org.id, project.id, dayOf(now));
    expect(outcomes[`${prefix}error|accepted|`]).toBe("5");
    expect(outcomes[`${prefix}error|rate_limited|backlog_full`]).toBe("7");
    expect(await redis().ttl(outcomeBucketKey(bucketOf(now), project.id))).toBeGreaterThan(0);
  });

  it("share an org's monthly quota between its projects and a key's rate limit between its requests", async () => {
    const { org, project, key } = await createOrgWithProject();
    const other = await db().project.create({ data: { orgId: org.id, slug: `second-${project.id}`, name: "Second" } });
    const otherKey = await createKey(other.id);
    const limits = { ...NO_LIMITS, monthlyErrors: 7 };
    // Project 1's key allows 3 events a minute; both projects draw on the org's 7 a month.
    const first = keyInfo({ keyId: key.id, projectId: project.id, orgId: org.id }, { rateLimit: { count: 3, windowSeconds: 60 }, limits });
    const second = keyInfo({ keyId: otherKey.id, projectId: other.id, orgId: org.id }, { limits });
    const sends = [...Array.from({ length: 5 }, () => first), ...Array.from({ length: 6 }, () => second)];
    const results = await Promise.all(sends.map((info) => acceptItems(info, [event()], "203.0.113.7", SENT_AT)));

    expect(results.slice(0, 5).map((r) => r.accepted)).toEqual([1, 1, 1, 0, 0]);
    expect(results.slice(0, 5).flatMap((r) => r.rateLimits.map((l) => l.reason))).toEqual(["key_quota", "key_quota"]);
    expect(results.slice(5).map((r) => r.accepted)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(results.slice(5).flatMap((r) => r.rateLimits.map((l) => l.reason))).toEqual(["usage_exceeded", "usage_exceeded"]);
    const month = new Date().toISOString().slice(0, 7);
    expect(await redis().get(orgQuotaKey(org.id, month))).toBe("7");
    // This minute's window or, when the minute turned since the sends, the last one.
    const window = Math.floor(Date.now() / 60_000);
    const keyCounters = await Promise.all([window - 1, window].map((w) => redis().get(keyRateKey(project.id, key.id, w))));
    expect(keyCounters.filter((n) => n !== null)).toEqual(["3"]);

    const stored = await streamItems(project.id);
    expect(stored).toHaveLength(3);
    expect(stored[0]).toMatchObject({ type: "event", clientIp: "203.0.113.7", sentAt: SENT_AT });
  });
});
