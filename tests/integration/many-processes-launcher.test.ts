import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { createOrgWithProject } from "../support/factories";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { send } from "../support/http";
import { createServer } from "node:net";
import { NODE, type Running, WITH_TSX, descendants, freePort, run, startPlatform, waitForHttp } from "../support/processes";

// `npm start` with INGEST_PROCESSES=2 WORKER_PROCESSES=2: one cluster primary (Node's own
// modules only) with two ingest copies sharing INGEST_PORT, two workers beside web, each
// restarted when it dies, and SIGTERM still stops everything with exit code 0.

let platform: Running | undefined;
afterAll(async () => {
  await platform?.stop("SIGTERM");
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The launcher's processes: web, the ingest primary and its copies, the workers. */
function tree(root: number) {
  const rows = descendants(root);
  const launcher = rows.find((p) => /\bworkers\/start\.mjs$/.test(p.args))!;
  const below = descendants(launcher.pid);
  const primary = below.find((p) => /^\S*node workers\/cluster\.mjs --processes 2 /.test(p.args));
  const copies = primary ? descendants(primary.pid).filter((p) => /^\S*node .*dist\/workers\/ingest\.js$/.test(p.args)) : [];
  const children = new Set(below.filter((p) => ![primary?.pid, ...copies.map((c) => c.pid)].includes(p.pid)).map((p) => p.pid));
  const services = (name: string) => below.filter((p) => children.has(p.pid) && p.args.endsWith(`dist/workers/${name}.js`) && !p.args.includes("cluster.mjs"));
  return { primary, copies, web: services("web"), ingest: services("ingest"), workers: services("worker") };
}

async function stored(ingest: string, tenant: Awaited<ReturnType<typeof createOrgWithProject>>): Promise<void> {
  const event = errorEvent();
  const res = await send(`${ingest}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, { body: eventEnvelope(event) });
  expect(res.status, res.body).toBe(200);
  await expect
    .poll(() => db().event.count({ where: { projectId: tenant.project.id, eventId: event.event_id } }), { timeout: 30_000, interval: 200 })
    .toBe(1);
}

describe("npm start with INGEST_PROCESSES=2 WORKER_PROCESSES=2", { timeout: 240_000 }, () => {
  it("runs two ingest copies under one light cluster primary and two workers, restarts each, and stops on SIGTERM", async () => {
    const started = await startPlatform({ INGEST_PROCESSES: "2", WORKER_PROCESSES: "2" });
    platform = started.process;
    await waitForHttp(`${started.ingest}/_health/`);
    await expect.poll(() => tree(platform!.child.pid!).copies.length, { timeout: 60_000 }).toBe(2);
    const before = tree(platform.child.pid!);
    expect(before.primary).toBeDefined();
    expect(before.ingest).toEqual([]); // no ingest beside the primary's copies
    expect(before.web).toHaveLength(1);
    expect(before.workers).toHaveLength(2);
    // The primary loads no app code: an idle Node.js, not an ingest's 80-160 MB.
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${before.primary!.pid}/status`, "utf8"))![1]);
    expect(rssKb / 1024).toBeLessThan(60);

    const tenant = await createOrgWithProject();
    // A few events: the primary hands connections to the copies in turn, so both take some.
    for (let i = 0; i < 4; i++) await stored(started.ingest, tenant);

    // A killed ingest copy is forked again by the primary; a killed worker by the launcher.
    process.kill(before.copies[0]!.pid, "SIGKILL");
    process.kill(before.workers[1]!.pid, "SIGKILL");
    await platform.waitFor(/error: ingest \d of 2 exited \(SIGKILL\); restarting it in 1 s/);
    await platform.waitFor(/error: worker \d exited \(SIGKILL\); restarting it in 1 s/);
    await expect
      .poll(() => {
        const now = tree(platform!.child.pid!);
        return now.copies.length === 2 && now.workers.length === 2 && !now.copies.some((c) => c.pid === before.copies[0]!.pid);
      }, { timeout: 60_000, interval: 250 })
      .toBe(true);
    const after = tree(platform.child.pid!);
    expect(after.primary!.pid).toBe(before.primary!.pid);
    expect(after.copies.map((c) => c.pid)).toContain(before.copies[1]!.pid);
    expect(after.workers.map((w) => w.pid)).toContain(before.workers[0]!.pid);
    await waitForHttp(`${started.ingest}/_health/`);
    for (let i = 0; i < 4; i++) await stored(started.ingest, tenant);

    const stopped = await platform.stop("SIGTERM");
    expect(stopped.code).toBe(0);
    const pids = [after.primary!, ...after.copies, ...after.web, ...after.workers].map((p) => p.pid);
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe("workers/cluster.mjs", { timeout: 120_000 }, () => {
  it("stops every copy and exits with the --stop-on-exit code when a copy cannot have its port, instead of restarting it", async () => {
    const port = await freePort();
    const taker = createServer();
    await new Promise<void>((resolve) => taker.listen(port, resolve));
    try {
      const result = await run(NODE, ["workers/cluster.mjs", "--processes", "2", "--stop-on-exit", "78", "--", ...WITH_TSX, "workers/ingest.ts"], {
        INGEST_PORT: String(port),
      });
      expect(result.code, result.output).toBe(78);
      expect(result.output).toContain(`error: port ${port} (INGEST_PORT) is already in use`);
      expect(result.output).not.toMatch(/restarting/);
    } finally {
      await new Promise((resolve) => taker.close(resolve));
    }
  });
});
