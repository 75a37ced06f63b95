import { createServer, request, Agent, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { allLanes, drainFlagKey, projectStreamKey } from "@/lib/ingest/stream-keys";
import { closeQueues, queue } from "@/lib/queues";
import { redis } from "@/lib/redis";
import { createOrgWithProject } from "../support/factories";
import { envelope, errorEvent, eventEnvelope, newEventId } from "../support/envelopes";
import { send } from "../support/http";
import { NODE, type Running, WITH_TSX, freePort, run, start } from "../support/processes";

// The conformance of many processes: two ingest processes behind a round-robin reverse proxy
// and two worker processes, on one Redis and one PostgreSQL, as INGEST_PROCESSES=2
// WORKER_PROCESSES=2 or two machines run them. What one of each guarantees must still hold:
// no event lost or counted twice (the official SDK's and raw envelopes, resends included),
// per-project order where it matters (a check-in's updates, in lane 0), and fairness (a
// flooding project does not keep another's events waiting behind its backlog).

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;

/** A reverse proxy in this process that hands each request to the next upstream in turn. */
async function roundRobinProxy(ports: number[]): Promise<{ url: string; served: number[]; close: () => Promise<void> }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const served = ports.map(() => 0);
  let next = 0;
  const server: Server = createServer((req, res) => {
    const upstream = next++ % ports.length;
    served[upstream]!++;
    const forward = request(
      { host: "127.0.0.1", port: ports[upstream], method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", (error) => res.writeHead(502).end(error.message));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let proxy: Awaited<ReturnType<typeof roundRobinProxy>>;
const ingests: Running[] = [];
const workers: Running[] = [];

beforeAll(async () => {
  const ports = [await freePort(), await freePort()];
  for (const port of ports) {
    // Default priority: the test's own load generator is not the worker these share the machine with.
    ingests.push(start(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(port), INGEST_NICENESS: "0" }));
  }
  for (let i = 0; i < 2; i++) workers.push(start(NODE, [...WITH_TSX, "workers/worker.ts"]));
  await Promise.all([...ingests.map((p) => p.waitFor(/ingest listening/)), ...workers.map((p) => p.waitFor(/worker started/))]);
  proxy = await roundRobinProxy(ports);
});

afterAll(async () => {
  await proxy?.close();
  // SIGTERM: a clean stop of each, as the launcher does; the outputs tell if one failed.
  const stopped = await Promise.all([...ingests, ...workers].map((p) => p.stop("SIGTERM")));
  expect(stopped.map((s) => s.code)).toEqual([0, 0, 0, 0]);
  await closeQueues();
});

const envelopeUrl = (tenant: Tenant) => `${proxy.url}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`;
const dsnOf = (tenant: Tenant) => `${proxy.url.replace("//", `//${tenant.key.publicKey}@`)}/${tenant.project.id}`;

async function post(tenant: Tenant, body: Buffer): Promise<void> {
  const res = await send(envelopeUrl(tenant), { body });
  expect(res.status, res.body).toBe(200);
}

/** Runs `task` over `items`, `parallel` at a time. */
async function inParallel<T>(items: T[], parallel: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

const storedEvents = (projectId: number) => db().event.count({ where: { projectId } });
const backlog = async (projectId: number) =>
  (await Promise.all(allLanes.map((lane) => redis().xlen(projectStreamKey(projectId, lane))))).reduce((a, b) => a + b);
const drainFlags = async (projectId: number) =>
  (await Promise.all(allLanes.map((lane) => redis().exists(drainFlagKey(projectId, lane))))).reduce((a, b) => a + b);

/** The worker processes (BullMQ's processedBy) that ran the drain jobs of these projects. */
async function drainedBy(projectIds: number[]): Promise<Set<string>> {
  const jobs = await queue("events").getJobs(["completed"]);
  return new Set(jobs.filter((j) => j.name === "drain" && projectIds.includes(j.data.projectId)).map((j) => j.processedBy ?? ""));
}

describe("two ingest processes behind a proxy and two workers", { timeout: 180_000 }, () => {
  it("store every event of several projects once: raw envelopes, resends and the official SDK", async () => {
    const tenants = [await createOrgWithProject(), await createOrgWithProject(), await createOrgWithProject(), await createOrgWithProject()];
    const shapes = 8;
    const perTenant = 320;
    // Distinct events over 8 issue shapes per project; a tenth of them sent a second time,
    // through the other ingest (the proxy alternates), as an SDK resends after a timeout.
    const sends = tenants.flatMap((tenant) => {
      const events = Array.from({ length: perTenant }, (_, i) =>
        errorEvent({ exception: { values: [{ type: `Shape${i % shapes}Error`, value: `event ${i}` }] }, user: { id: String(i % 7) } }),
      );
      return [...events, ...events.filter((_, i) => i % 10 === 0)].map((event) => ({ tenant, event }));
    });
    // Two projects also get the official SDK's events, one after another as an app sends them.
    const sdkCount = 25;
    const sdkRuns = tenants.slice(0, 2).map((tenant) =>
      run(NODE, ["tests/support/sentry-burst.mjs"], { SENTRY_DSN: dsnOf(tenant), COUNT: String(sdkCount) }),
    );
    await inParallel(sends, 24, ({ tenant, event }) => post(tenant, eventEnvelope(event)));
    for (const done of await Promise.all(sdkRuns)) expect(done.code, done.output).toBe(0);

    for (const [i, tenant] of tenants.entries()) {
      const expected = perTenant + (i < 2 ? sdkCount : 0);
      await expect.poll(() => storedEvents(tenant.project.id), { timeout: 60_000, interval: 250 }).toBe(expected);
      await expect.poll(() => drainFlags(tenant.project.id), { timeout: 10_000 }).toBe(0);
      expect(await backlog(tenant.project.id)).toBe(0);
      const ids = await db().event.findMany({ where: { projectId: tenant.project.id }, select: { eventId: true } });
      expect(new Set(ids.map((e) => e.eventId)).size).toBe(expected);
      const issues = await db().issue.findMany({ where: { projectId: tenant.project.id }, select: { title: true, timesSeen: true } });
      const raw = issues.filter((issue) => /^Shape\d+Error/.test(issue.title));
      expect(raw.map((issue) => issue.timesSeen)).toEqual(Array(shapes).fill(perTenant / shapes));
      // The SDK's errors all come from one line of sentry-burst.mjs: one issue.
      expect(issues.filter((issue) => !raw.includes(issue)).map((issue) => issue.timesSeen)).toEqual(i < 2 ? [sdkCount] : []);
    }
    // Both ingest processes took requests, and both workers drained these projects.
    expect(proxy.served.every((n) => n > 100), String(proxy.served)).toBe(true);
    const by = await drainedBy(tenants.map((t) => t.project.id));
    expect([...by].filter((name) => name.startsWith("worker:")).length).toBe(2);
  });

  it("applies each project's check-ins in the order they were accepted, whichever ingest took each", async () => {
    const tenants = [await createOrgWithProject(), await createOrgWithProject(), await createOrgWithProject()];
    const runs = 6;
    // Per project, runs of a monitor one after another: in_progress, then ok with no duration
    // (the worker takes the time since the in_progress came), each sent once the previous was
    // answered, so consecutive updates reach different ingest processes. Stored in the wrong
    // order, the ok would open a check-in of its own without a duration and the in_progress be
    // dropped as finished. Meanwhile events flood the same projects' lanes.
    const checkIn = (id: string, status: string) =>
      envelope({}, [
        {
          type: "check_in",
          payload: JSON.stringify({ check_in_id: id, monitor_slug: "nightly", status, monitor_config: { schedule: { type: "crontab", value: "0 3 * * *" } } }),
        },
      ]);
    const ids = new Map<number, string[]>();
    const flood = inParallel(
      tenants.flatMap((tenant) => Array.from({ length: 150 }, () => tenant)),
      12,
      (tenant) => post(tenant, eventEnvelope()),
    );
    await Promise.all(
      tenants.map(async (tenant) => {
        ids.set(tenant.project.id, []);
        for (let i = 0; i < runs; i++) {
          const id = newEventId();
          ids.get(tenant.project.id)!.push(id);
          await post(tenant, checkIn(id, "in_progress"));
          await new Promise((resolve) => setTimeout(resolve, 20));
          await post(tenant, checkIn(id, "ok"));
        }
      }),
    );
    await flood;
    for (const tenant of tenants) {
      await expect.poll(() => storedEvents(tenant.project.id), { timeout: 60_000, interval: 250 }).toBe(150);
      await expect.poll(() => backlog(tenant.project.id), { timeout: 30_000, interval: 250 }).toBe(0);
      const rows = await db().checkIn.findMany({
        where: { projectId: tenant.project.id },
        select: { checkInId: true, status: true, durationMs: true },
      });
      const byId = new Map(rows.map((row) => [row.checkInId.replace(/-/g, ""), row]));
      expect(rows).toHaveLength(runs);
      for (const id of ids.get(tenant.project.id)!) {
        const row = byId.get(id);
        expect(row?.status, id).toBe("ok");
        expect(row?.durationMs, id).toBeGreaterThanOrEqual(15);
      }
    }
  });

  it("keeps another project's events from waiting behind a flooding project's backlog", async () => {
    const flooding = await createOrgWithProject();
    const other = await createOrgWithProject();
    const floodSize = 8000;
    // Not their first events: a project's first batch takes a slower path (first_event_at).
    for (const tenant of [flooding, other]) await db().project.update({ where: { id: tenant.project.id }, data: { firstEventAt: new Date() } });
    // The flood waits in Redis while both workers are held, then both take it on at once
    // (as after a burst); the other project's events come once its first batches are stored,
    // and are timed.
    for (const worker of workers) process.kill(worker.child.pid!, "SIGSTOP");
    try {
      await inParallel(Array.from({ length: floodSize }), 32, () => post(flooding, eventEnvelope()));
    } finally {
      for (const worker of workers) process.kill(worker.child.pid!, "SIGCONT");
    }
    await expect.poll(() => storedEvents(flooding.project.id), { timeout: 60_000, interval: 20 }).toBeGreaterThan(0);
    const began = performance.now();
    const probes: { eventId: string; sentAt: number; visibleAt?: number; floodStoredThen?: number }[] = [];
    for (let i = 0; i < 4; i++) {
      const event = errorEvent();
      probes.push({ eventId: event.event_id, sentAt: performance.now() });
      await post(other, eventEnvelope(event));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (;;) {
      const visible = await db().event.findMany({
        where: { projectId: other.project.id, eventId: { in: probes.map((p) => p.eventId) } },
        select: { eventId: true },
      });
      const floodStored = await storedEvents(flooding.project.id);
      for (const probe of probes) {
        if (probe.visibleAt === undefined && visible.some((v) => v.eventId === probe.eventId)) {
          probe.visibleAt = performance.now();
          probe.floodStoredThen = floodStored;
        }
      }
      if (probes.every((p) => p.visibleAt !== undefined)) break;
      expect(performance.now() - began, "the other project's events never became visible").toBeLessThan(60_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await expect.poll(() => storedEvents(flooding.project.id), { timeout: 120_000, interval: 250 }).toBe(floodSize);
    const floodDoneMs = performance.now() - began;
    const waits = probes.map((p) => Math.round(p.visibleAt! - p.sentAt));
    console.log(
      `fairness with 2 workers: the other project's events visible after ${waits.join(", ")} ms; ` +
        `the ${floodSize}-event backlog stored after ${Math.round(floodDoneMs)} ms (${probes.map((p) => p.floodStoredThen).join(", ")} stored when each probe showed)`,
    );
    // Each of the other project's events was stored while the flood was still being drained,
    // not after it: its jobs interleave with the flooding project's.
    for (const probe of probes) expect(probe.floodStoredThen, String(waits)).toBeLessThan(floodSize);
    expect(Math.max(...waits)).toBeLessThan(10_000);
  });
});
