import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { allLanes, projectStreamKey } from "@/lib/ingest/stream-keys";
import { closeQueues } from "@/lib/queues";
import { redis } from "@/lib/redis";
import { flushOutcomes } from "@/lib/usage/flush-outcomes";
import { productionFlags } from "../bench/build";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { hostileRequests } from "../support/hostile";
import { send } from "../support/http";
import { NODE, WITH_TSX, freePort, start, type Running } from "../support/processes";

// A few thousand generated hostile requests (random item types, encodings, NULs, depths, sizes,
// numbers, keys) through the real ingest and worker, then the promises: no 5xx, both processes
// alive, every project still draining, an ordinary event visible, usage still flushing.
// FUZZ_SEED=<n> replays a run; FUZZ_COUNT sets its size.
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const COUNT = Number(process.env.FUZZ_COUNT ?? 3000);
const CONCURRENCY = 16;

describe(`fuzz: hostile envelopes (seed ${SEED})`, () => {
  let ingest: Running;
  let worker: Running;
  let base: string;
  let targets: Awaited<ReturnType<typeof createOrgWithProject>>[];
  let bystander: Awaited<ReturnType<typeof createOrgWithProject>>;

  beforeAll(async () => {
    targets = [await createOrgWithProject(), await createOrgWithProject()];
    bystander = await createOrgWithProject();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The production flags (package.json start:ingest): the 128 MB heap is part of what is tested.
    ingest = start(NODE, [...productionFlags("ingest").split(" "), ...WITH_TSX, "workers/ingest.ts"], {
      INGEST_PORT: String(port),
    });
    worker = start(NODE, [...WITH_TSX, "workers/worker.ts"]);
    await Promise.all([ingest.waitFor(/ingest listening/), worker.waitFor(/worker started/)]);
  });

  afterAll(async () => {
    await ingest?.stop("SIGKILL");
    await worker?.stop("SIGKILL");
    await closeQueues();
  });

  it("answers every hostile request without a 5xx and keeps every project draining", async () => {
    const requests = hostileRequests(COUNT, SEED, targets.map((t) => ({ projectId: t.project.id, publicKey: t.key.publicKey })));
    const statuses = new Map<number, number>();
    const serverErrors: string[] = [];
    const transportErrors: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const request = requests[next++]!;
          try {
            const reply = await send(`${base}${request.path}`, { body: request.body, headers: request.headers });
            statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
            if (reply.status >= 500) serverErrors.push(`${request.label}: ${reply.status} ${reply.body.slice(0, 200)}`);
          } catch (error) {
            // Ingest may close a connection it refused before reading a large body (413).
            if (request.body.length < 64 * 1024) transportErrors.push(`${request.label}: ${(error as Error).message}`);
          }
        }
      }),
    );
    console.log(`fuzz seed ${SEED}: ${COUNT} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(serverErrors).toEqual([]);
    expect(transportErrors).toEqual([]);
    expect(ingest.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();
    expect((await send(`${base}/_health/`, { method: "GET" })).status).toBe(200);

    // Ordinary events after the storm, to the fuzzed projects and to a bystander: all stored.
    const ordinary = [...targets, bystander].flatMap((tenant) =>
      Array.from({ length: 6 }, () => ({ tenant, event: errorEvent({ message: "after the storm" }) })),
    );
    for (const { tenant, event } of ordinary) {
      const reply = await send(`${base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, { body: eventEnvelope(event) });
      expect(reply.status).toBe(200);
    }
    const eventIds = ordinary.map(({ event }) => event.event_id);
    await expect
      .poll(() => db().event.count({ where: { eventId: { in: eventIds } } }), { timeout: 60_000, interval: 500 })
      .toBe(eventIds.length);

    // Every lane of every project drains to empty: nothing is stuck behind a poison item.
    const backlog = async () => {
      let entries = 0;
      for (const tenant of [...targets, bystander]) {
        for (const lane of allLanes) entries += await redis().xlen(projectStreamKey(tenant.project.id, lane));
      }
      return entries;
    };
    await expect.poll(backlog, { timeout: 60_000, interval: 500 }).toBe(0);

    // The usage flush still moves (whatever counters the storm wrote), and the bystander's
    // accepted errors arrive in outcome_counts.
    await flushOutcomes(Date.now() + 3 * 60_000);
    const counted = await db().outcomeCount.aggregate({
      _sum: { quantity: true },
      where: { projectId: bystander.project.id, category: "error", outcome: "accepted" },
    });
    expect(Number(counted._sum.quantity)).toBe(6);
    const categories = await db().outcomeCount.findMany({
      where: { projectId: { in: targets.map((t) => t.project.id) } },
      distinct: ["category", "reason"],
      select: { category: true, reason: true },
    });
    for (const { category, reason } of categories) {
      expect(category).toMatch(/^[a-z_0-9]{1,32}$/);
      expect(reason).toMatch(/^[a-z_0-9]{0,64}$/);
    }
  }, 300_000);
});
