import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { drainBatch, MAX_BATCH_BYTES, StreamDrain } from "@/lib/events/process-batch";
import { finishDrain, type Lane, lanesWithStaleEntries } from "@/lib/events/stream";
import { allLanes, drainFlagKey, projectStreamKey } from "@/lib/ingest/stream-keys";
import { queue } from "@/lib/queues";
import { redis } from "@/lib/redis";
import { eventIdInLane } from "../support/drain";
import { createOrgWithProject } from "../support/factories";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { type Running, NODE, WITH_TSX, start } from "../support/processes";

let ingest: Awaited<ReturnType<typeof startIngest>>;
beforeAll(async () => {
  ingest = await startIngest();
});
afterAll(() => ingest.close());

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;

async function post(tenant: Tenant, event = errorEvent()) {
  const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, { body: eventEnvelope(event) });
  expect(res.status, res.body).toBe(200);
}

const pendingDrainJobs = async (projectId: number) =>
  (await queue("events").getJobs(["waiting", "active", "delayed", "prioritized"])).filter((j) => j.data.projectId === projectId).length;

const storedEvents = (projectId: number) => db().event.count({ where: { projectId } });
const backlog = async (projectId: number) =>
  (await Promise.all(allLanes.map((lane) => redis().xlen(projectStreamKey(projectId, lane))))).reduce((a, b) => a + b);
const drainFlags = async (projectId: number) =>
  (await Promise.all(allLanes.map((lane) => redis().exists(drainFlagKey(projectId, lane))))).reduce((a, b) => a + b);

describe("the race between a drain finishing and new events arriving", () => {
  // In lane 1: lane 0 keeps the keys of the time before lanes, so this checks the new ones.
  const inLane1 = () => errorEvent({ event_id: eventIdInLane(1) });

  it("an event that arrives after the last batch but before the job finishes is not stranded", async () => {
    const tenant = await createOrgWithProject();
    const lane = { projectId: tenant.project.id, lane: 1 };
    await post(tenant, inLane1());
    expect(await pendingDrainJobs(tenant.project.id)).toBe(1);
    while ((await drainBatch(lane, 500)).entries > 0);
    // The job has read its last batch; an event arrives while the flag is still set, so
    // ingest queues nothing...
    await post(tenant, inLane1());
    expect(await pendingDrainJobs(tenant.project.id)).toBe(1);
    // ...and the job, finishing, must see it and keep draining.
    expect(await finishDrain(lane)).toBe(true);
    expect(await redis().exists(drainFlagKey(tenant.project.id, 1))).toBe(1);
  });

  it("an event that arrives after the job finished gets a new job", async () => {
    const tenant = await createOrgWithProject();
    const lane = { projectId: tenant.project.id, lane: 1 };
    await post(tenant, inLane1());
    // Forget the queued job: this test drains by hand.
    for (const job of await queue("events").getJobs(["waiting"])) if (job.data.projectId === tenant.project.id) await job.remove();
    while ((await drainBatch(lane, 500)).entries > 0);
    expect(await finishDrain(lane)).toBe(false);
    expect(await drainFlags(tenant.project.id)).toBe(0);
    await post(tenant, inLane1());
    expect(await pendingDrainJobs(tenant.project.id)).toBe(1);
  });

  it("each lane of a project has its own drain job", async () => {
    const tenant = await createOrgWithProject();
    await post(tenant, errorEvent({ event_id: eventIdInLane(0) }));
    await post(tenant, inLane1());
    await post(tenant, inLane1());
    const jobs = (await queue("events").getJobs(["waiting", "active", "delayed", "prioritized"])).filter(
      (j) => j.data.projectId === tenant.project.id,
    );
    expect(jobs.map((j) => j.data.lane).sort()).toEqual([0, 1]);
    expect(await redis().xlen(projectStreamKey(tenant.project.id, 0))).toBe(1);
    expect(await redis().xlen(projectStreamKey(tenant.project.id, 1))).toBe(2);
  });
});

describe("stuck drains", () => {
  it("finds a lane whose oldest entry waits too long, lane 0 and the others", async () => {
    const tenant = await createOrgWithProject();
    await post(tenant, errorEvent({ event_id: eventIdInLane(1) }));
    const now = Date.now();
    const mine = (lanes: Lane[]) => lanes.filter((l) => l.projectId === tenant.project.id);
    expect(mine(await lanesWithStaleEntries(60_000, now))).toEqual([]);
    expect(mine(await lanesWithStaleEntries(60_000, now + 61_000))).toEqual([{ projectId: tenant.project.id, lane: 1 }]);
    await post(tenant, errorEvent({ event_id: eventIdInLane(0) }));
    expect(mine(await lanesWithStaleEntries(60_000, Date.now() + 61_000)).sort((a, b) => a.lane - b.lane)).toEqual([
      { projectId: tenant.project.id, lane: 0 },
      { projectId: tenant.project.id, lane: 1 },
    ]);
  });
});

describe("batches", () => {
  const timesSeen = async (projectId: number) =>
    (await db().issue.aggregate({ where: { projectId }, _sum: { timesSeen: true } }))._sum.timesSeen;

  it("two drains of each lane, all at once and reading ahead, create each issue once and count every event once", async () => {
    const tenant = await createOrgWithProject();
    // 12 issues, 240 events spread over both lanes, each issue's events in both; every issue
    // is new, so both lanes try to create it in their first batches.
    const shapes = Array.from({ length: 12 }, (_, i) => `Shape${i}Error`);
    const sent = Array.from({ length: 240 }, (_, i) =>
      errorEvent({
        event_id: eventIdInLane(Math.floor(i / 12) % 2),
        exception: { values: [{ type: shapes[i % 12], value: `order ${i}` }] },
        user: { id: String(i % 30) },
        tags: { region: `r${i % 5}`, feature: "checkout" },
        release: `backend@1.${i % 3}.0`,
        environment: i % 2 ? "production" : "staging",
      }),
    );
    for (let i = 0; i < sent.length; i += 40) await Promise.all(sent.slice(i, i + 40).map((e) => post(tenant, e)));
    // Not the project's first events: that would make the lanes' first batches take turns.
    await db().project.update({ where: { id: tenant.project.id }, data: { firstEventAt: new Date() } });
    // Per lane, a stalled job retried while the first still runs; small batches.
    const drainUntilEmpty = async (lane: number) => {
      const drain = new StreamDrain({ projectId: tenant.project.id, lane }, 7);
      let batches = 0;
      while ((await drain.next({ readAhead: true })).entries > 0) batches++;
      return batches;
    };
    const batches = await Promise.all(allLanes.flatMap((lane) => [drainUntilEmpty(lane), drainUntilEmpty(lane)]));
    expect(batches.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(240 / 7);
    expect(await storedEvents(tenant.project.id)).toBe(240);
    const issues = await db().issue.findMany({ where: { projectId: tenant.project.id }, orderBy: { shortId: "asc" } });
    expect(issues.map((i) => i.title.split(":")[0]).sort()).toEqual([...shapes].sort());
    expect(issues.map((i) => i.shortId)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    for (const issue of issues) {
      expect(issue.timesSeen).toBe(20);
      expect(await db().event.count({ where: { issueId: issue.id } })).toBe(20);
      // users i % 30 for i ≡ k (mod 12): 5 of them (gcd 6)
      expect(issue.userCount).toBe(5);
    }
    const regions = await db().issueTagValue.aggregate({ where: { issue: { projectId: tenant.project.id }, key: "region" }, _sum: { timesSeen: true } });
    expect(regions._sum.timesSeen).toBe(240);
    expect(await db().issueHourlyCount.aggregate({ where: { issue: { projectId: tenant.project.id } }, _sum: { count: true } })).toMatchObject({ _sum: { count: 240 } });
    expect(await db().environment.count({ where: { projectId: tenant.project.id } })).toBe(2);
    expect(await backlog(tenant.project.id)).toBe(0);
  });

  it("a batch stops at MAX_BATCH_BYTES and the rest follows in the next batches", async () => {
    const tenant = await createOrgWithProject();
    const big = "x".repeat(600 * 1024);
    for (let i = 0; i < 10; i++) await post(tenant, errorEvent({ event_id: eventIdInLane(0), extra: { big } }));
    const drain = new StreamDrain({ projectId: tenant.project.id, lane: 0 }, 500);
    const first = await drain.next({ readAhead: true });
    expect(first.entries).toBe(Math.floor(MAX_BATCH_BYTES / (600 * 1024)));
    expect(first.more).toBe(true);
    let total = first.entries;
    for (let batch = await drain.next({ readAhead: true }); batch.entries > 0; batch = await drain.next({ readAhead: true }))
      total += batch.entries;
    expect(total).toBe(10);
    expect(await storedEvents(tenant.project.id)).toBe(10);
    expect(await timesSeen(tenant.project.id)).toBe(10);
  });
});

describe("with the worker process", () => {
  let worker: Running | undefined;
  afterAll(async () => {
    await worker?.stop("SIGKILL");
  });

  it("processes bursts from several tenants with pauses in between: every event stored, nothing stranded", async () => {
    worker = start(NODE, [...WITH_TSX, "workers/worker.ts"]);
    await worker.waitFor(/worker started/);
    const tenants = [await createOrgWithProject(), await createOrgWithProject(), await createOrgWithProject()];
    const sent = new Map<number, number>();
    await Promise.all(
      tenants.map(async (tenant) => {
        for (let burst = 0; burst < 8; burst++) {
          const size = 1 + Math.floor(Math.random() * 15);
          await Promise.all(Array.from({ length: size }, () => post(tenant)));
          sent.set(tenant.project.id, (sent.get(tenant.project.id) ?? 0) + size);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
        }
      }),
    );
    for (const tenant of tenants) {
      await expect.poll(() => storedEvents(tenant.project.id), { timeout: 20_000, interval: 200 }).toBe(sent.get(tenant.project.id));
      await expect.poll(() => drainFlags(tenant.project.id), { timeout: 5000 }).toBe(0);
      expect(await backlog(tenant.project.id)).toBe(0);
    }
  });

  it("loses nothing and counts nothing twice when the worker is killed with SIGKILL mid-batch", async () => {
    await worker?.stop("SIGKILL");
    const tenant = await createOrgWithProject();
    const total = 3000;
    // Queue everything before a worker runs, so the kill lands in the middle of the work.
    for (let i = 0; i < total; i += 100) await Promise.all(Array.from({ length: 100 }, () => post(tenant)));
    worker = start(NODE, [...WITH_TSX, "workers/worker.ts"]);
    await expect.poll(() => storedEvents(tenant.project.id), { timeout: 30_000, interval: 20 }).toBeGreaterThan(0);
    await worker.stop("SIGKILL");
    const atKill = await storedEvents(tenant.project.id);
    expect(atKill).toBeLessThan(total);

    worker = start(NODE, [...WITH_TSX, "workers/worker.ts"]);
    await expect.poll(() => storedEvents(tenant.project.id), { timeout: 60_000, interval: 250 }).toBe(total);
    const issues = await db().issue.findMany({ where: { projectId: tenant.project.id } });
    expect(issues.reduce((n, i) => n + i.timesSeen, 0)).toBe(total);
    await expect.poll(() => backlog(tenant.project.id), { timeout: 10_000 }).toBe(0);
  }, 150_000);
});
