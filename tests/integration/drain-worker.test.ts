import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { drainBatch, MAX_BATCH_BYTES, StreamDrain } from "@/lib/events/process-batch";
import { finishDrain } from "@/lib/events/stream";
import { drainFlagKey, projectStreamKey } from "@/lib/ingest/stream-keys";
import { queue } from "@/lib/queues";
import { redis } from "@/lib/redis";
import { createOrgWithProject } from "../support/factories";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { type Running, TSX, start } from "../support/processes";

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

describe("the race between a drain finishing and new events arriving", () => {
  it("an event that arrives after the last batch but before the job finishes is not stranded", async () => {
    const tenant = await createOrgWithProject();
    await post(tenant);
    expect(await pendingDrainJobs(tenant.project.id)).toBe(1);
    while ((await drainBatch(tenant.project.id, 500)).entries > 0);
    // The job has read its last batch; an event arrives while the flag is still set, so
    // ingest queues nothing...
    await post(tenant);
    expect(await pendingDrainJobs(tenant.project.id)).toBe(1);
    // ...and the job, finishing, must see it and keep draining.
    expect(await finishDrain(tenant.project.id)).toBe(true);
    expect(await redis().exists(drainFlagKey(tenant.project.id))).toBe(1);
  });

  it("an event that arrives after the job finished gets a new job", async () => {
    const tenant = await createOrgWithProject();
    await post(tenant);
    // Forget the queued job: this test drains by hand.
    for (const job of await queue("events").getJobs(["waiting"])) if (job.data.projectId === tenant.project.id) await job.remove();
    while ((await drainBatch(tenant.project.id, 500)).entries > 0);
    expect(await finishDrain(tenant.project.id)).toBe(false);
    expect(await redis().exists(drainFlagKey(tenant.project.id))).toBe(0);
    await post(tenant);
    expect(await pendingDrainJobs(tenant.project.id)).toBe(1);
  });
});

describe("batches", () => {
  const timesSeen = async (projectId: number) =>
    (await db().issue.aggregate({ where: { projectId }, _sum: { timesSeen: true } }))._sum.timesSeen;

  it("two drains of one project, both reading ahead, store every event exactly once", async () => {
    const tenant = await createOrgWithProject();
    for (let i = 0; i < 60; i++) await post(tenant, errorEvent({ message: `order ${i}` }));
    // A stalled job retried while the first still runs: both read ahead, in small batches.
    const drainUntilEmpty = async () => {
      const drain = new StreamDrain(tenant.project.id, 7);
      let batches = 0;
      while ((await drain.next({ readAhead: true })).entries > 0) batches++;
      return batches;
    };
    const [a, b] = await Promise.all([drainUntilEmpty(), drainUntilEmpty()]);
    expect(a + b).toBeGreaterThanOrEqual(60 / 7);
    expect(await storedEvents(tenant.project.id)).toBe(60);
    expect(await timesSeen(tenant.project.id)).toBe(60);
    expect(await redis().xlen(projectStreamKey(tenant.project.id))).toBe(0);
  });

  it("a batch stops at MAX_BATCH_BYTES and the rest follows in the next batches", async () => {
    const tenant = await createOrgWithProject();
    const big = "x".repeat(300 * 1024);
    for (let i = 0; i < 10; i++) await post(tenant, errorEvent({ extra: { big } }));
    const drain = new StreamDrain(tenant.project.id, 500);
    const first = await drain.next({ readAhead: true });
    expect(first.entries).toBe(Math.floor(MAX_BATCH_BYTES / (300 * 1024)));
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
    worker = start(TSX, ["workers/worker.ts"]);
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
      await expect.poll(() => redis().exists(drainFlagKey(tenant.project.id)), { timeout: 5000 }).toBe(0);
      expect(await redis().xlen(projectStreamKey(tenant.project.id))).toBe(0);
    }
  });

  it("loses nothing and counts nothing twice when the worker is killed with SIGKILL mid-batch", async () => {
    await worker?.stop("SIGKILL");
    const tenant = await createOrgWithProject();
    const total = 3000;
    // Queue everything before a worker runs, so the kill lands in the middle of the work.
    for (let i = 0; i < total; i += 100) await Promise.all(Array.from({ length: 100 }, () => post(tenant)));
    worker = start(TSX, ["workers/worker.ts"]);
    await expect.poll(() => storedEvents(tenant.project.id), { timeout: 30_000, interval: 20 }).toBeGreaterThan(0);
    await worker.stop("SIGKILL");
    const atKill = await storedEvents(tenant.project.id);
    expect(atKill).toBeLessThan(total);

    worker = start(TSX, ["workers/worker.ts"]);
    await expect.poll(() => storedEvents(tenant.project.id), { timeout: 60_000, interval: 250 }).toBe(total);
    const issues = await db().issue.findMany({ where: { projectId: tenant.project.id } });
    expect(issues.reduce((n, i) => n + i.timesSeen, 0)).toBe(total);
    await expect.poll(() => redis().xlen(projectStreamKey(tenant.project.id)), { timeout: 10_000 }).toBe(0);
  }, 150_000);
});
