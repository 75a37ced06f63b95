import { afterAll, describe, expect, it } from "vitest";
import { env } from "@/lib/env";
import { acceptItems, closeAcceptConnection, type PreparedItem } from "@/lib/ingest/accept";
import type { KeyInfo } from "@/lib/ingest/keys";
import { allLanes, drainFlagKey, projectStreamKey } from "@/lib/ingest/stream-keys";
import { redis } from "@/lib/redis";
import { bucketOf, dayOf, outcomeBucketKey, outcomeFieldPrefix } from "@/lib/usage/outcome-buckets";
import { newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";

afterAll(() => closeAcceptConnection());

function event(): PreparedItem {
  const eventId = newEventId();
  return {
    type: "event",
    category: "error",
    limited: true,
    itemHeader: Buffer.from('{"type":"event"}'),
    payload: Buffer.from(JSON.stringify({ event_id: eventId, message: "boom" })),
    eventId,
    filterReason: "",
  };
}

// Requests accepted in the same turn of the event loop share one call of ingest's script,
// which remembers stream lengths, drain flags and outcome TTLs within the call.
describe("requests that share one script call", () => {
  it("keep the backlog bound exact, queue one drain job per lane and count every outcome", async () => {
    const { org, project, key } = await createOrgWithProject();
    const info: KeyInfo = {
      keyId: key.id,
      projectId: project.id,
      orgId: org.id,
      active: true,
      rateLimit: null,
      limits: { monthlyErrors: null, projectErrorsPerHour: null },
      filter: null,
    };
    const bound = env().INGEST_MAX_BACKLOG;
    env().INGEST_MAX_BACKLOG = 5;
    try {
      const header = Buffer.from("{}");
      const results = await Promise.all(Array.from({ length: 12 }, () => acceptItems(info, [event()], "203.0.113.7", header)));
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
    const outcomes = await redis().hgetall(outcomeBucketKey(bucketOf(now)));
    const prefix = outcomeFieldPrefix(org.id, project.id, dayOf(now));
    expect(outcomes[`${prefix}error|accepted|`]).toBe("5");
    expect(outcomes[`${prefix}error|rate_limited|backlog_full`]).toBe("7");
    expect(await redis().ttl(outcomeBucketKey(bucketOf(now)))).toBeGreaterThan(0);
  });
});
