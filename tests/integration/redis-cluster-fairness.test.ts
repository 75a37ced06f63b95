import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { allLanes, projectStreamKey } from "@/lib/ingest/stream-keys";
import { redis } from "@/lib/redis";
import { createOrgWithProject } from "../support/factories";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { type Running, NODE, WITH_TSX, start } from "../support/processes";

// Fairness: a tenant's flood is one drain job per lane in the queue, so another tenant's
// events are stored while the flood still waits, not after it. Runs on plain Redis in the
// suite and on a Redis Cluster in vitest.redis-cluster.config.ts, where the two tenants'
// streams live on different slots (and usually different masters) and the queue on a third.
// bench:processing's fairness scenario measures the same at scale.

let ingest: Awaited<ReturnType<typeof startIngest>>;
let worker: Running | undefined;
beforeAll(async () => {
  ingest = await startIngest();
});
afterAll(async () => {
  await worker?.stop("SIGKILL");
  await ingest.close();
});

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;

async function post(tenant: Tenant, message: string) {
  const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, {
    body: eventEnvelope(errorEvent({ message, exception: undefined })),
  });
  expect(res.status, res.body).toBe(200);
}

const storedEvents = (projectId: number) => db().event.count({ where: { projectId } });
const backlog = async (projectId: number) =>
  (await Promise.all(allLanes.map((lane) => redis().xlen(projectStreamKey(projectId, lane))))).reduce((a, b) => a + b);

describe("fairness between tenants", () => {
  it("stores another tenant's events while a flood's backlog still waits, then the whole flood once", async () => {
    const flooding = await createOrgWithProject();
    const quiet = await createOrgWithProject();
    const flood = 6000;
    // The flood is all waiting before a worker runs, so the quiet tenant arrives behind it.
    for (let i = 0; i < flood; i += 200) await Promise.all(Array.from({ length: 200 }, (_, j) => post(flooding, `flood ${(i + j) % 50}`)));
    expect(await backlog(flooding.project.id)).toBe(flood);

    worker = start(NODE, [...WITH_TSX, "workers/worker.ts"]);
    await worker.waitFor(/worker started/);
    const probes = 5;
    const floodLeft: number[] = [];
    for (let probe = 1; probe <= probes; probe++) {
      await post(quiet, `probe ${probe}`);
      await expect.poll(() => storedEvents(quiet.project.id), { timeout: 30_000, interval: 20 }).toBe(probe);
      floodLeft.push(flood - (await storedEvents(flooding.project.id)));
    }
    // Every probe was stored while the flood still had events waiting.
    expect(floodLeft.every((left) => left > 0), `flood events left when each probe was stored: ${floodLeft}`).toBe(true);

    await expect.poll(() => storedEvents(flooding.project.id), { timeout: 120_000, interval: 250 }).toBe(flood);
    const issues = await db().issue.findMany({ where: { projectId: flooding.project.id } });
    expect(issues.reduce((n, i) => n + i.timesSeen, 0)).toBe(flood);
    await expect.poll(() => backlog(flooding.project.id), { timeout: 10_000 }).toBe(0);
  }, 240_000);
});
