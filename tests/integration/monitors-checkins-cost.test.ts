import { afterAll, beforeAll, expect, it } from "vitest";
import { db } from "@/lib/db";
import { drainAll } from "../support/drain";
import { envelope, errorEvent, eventEnvelope, newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";

// What a check-in costs the drain next to an error event: 1,000 check-ins (100 monitors, five
// in_progress -> ok runs each, every monitor made from its first check-in's config) and 1,000
// error events (10 issues), each sent through ingest first, then one timed drainAll per
// project. Prints both figures; checks everything was stored.

const N = 1000;
let ingest: Awaited<ReturnType<typeof startIngest>>;
beforeAll(async () => {
  ingest = await startIngest();
});
afterAll(() => ingest.close());

it("drains 1,000 check-ins and 1,000 error events; prints the cost of each", async () => {
  const checkIns = await createOrgWithProject();
  const errors = await createOrgWithProject();
  const url = (t: typeof checkIns) => `${ingest.base}/api/${t.project.id}/envelope/?sentry_key=${t.key.publicKey}`;

  const items: string[] = [];
  for (let run = 0; run < N / 200; run++) {
    for (let m = 0; m < 100; m++) {
      const id = newEventId();
      const config = run === 0 ? { monitor_config: { schedule: { type: "crontab", value: "*/5 * * * *" }, timezone: "Europe/Berlin" } } : {};
      items.push(JSON.stringify({ check_in_id: id, monitor_slug: `job-${m}`, status: "in_progress", environment: "production", ...config }));
      items.push(JSON.stringify({ check_in_id: id, monitor_slug: `job-${m}`, status: "ok", duration: 1.5, environment: "production" }));
    }
  }
  for (let i = 0; i < items.length; i += 100) {
    const body = envelope({}, items.slice(i, i + 100).map((payload) => ({ type: "check_in", payload })));
    expect((await send(url(checkIns), { body })).status).toBe(200);
  }
  for (let i = 0; i < N; i++) {
    const event = errorEvent({ message: undefined });
    event.exception.values[0]!.type = `Error${i % 10}`;
    expect((await send(url(errors), { body: eventEnvelope(event) })).status).toBe(200);
  }

  const timed = async (projectId: number) => {
    const started = performance.now();
    await drainAll(projectId);
    return performance.now() - started;
  };
  const checkInMs = await timed(checkIns.project.id);
  const errorMs = await timed(errors.project.id);
  console.log(
    `drain: ${N} check-ins ${checkInMs.toFixed(0)} ms (${((checkInMs * 1000) / N).toFixed(0)} µs each), ` +
      `${N} error events ${errorMs.toFixed(0)} ms (${((errorMs * 1000) / N).toFixed(0)} µs each)`,
  );
  expect(await db().monitor.count({ where: { projectId: checkIns.project.id } })).toBe(100);
  const statuses = await db().checkIn.groupBy({ by: ["status"], where: { projectId: checkIns.project.id }, _count: true });
  expect(statuses).toEqual([{ status: "ok", _count: N / 2 }]);
  expect(await db().event.count({ where: { projectId: errors.project.id } })).toBe(N);
});
