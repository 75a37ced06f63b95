import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { requireSuperuser, unsafeDeleteFailedJob, unsafeFailedJobs, unsafeProcessedPerMinute, unsafeRetryFailedJob } from "@/lib/operator";
import { closeQueues, queue } from "@/lib/queues";
import { closeRedis } from "@/lib/redis";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { NODE, WITH_TSX, freePort, run, start, type Running } from "../support/processes";

// A running install: real ingest and worker processes on this file's Redis prefix and the
// run's database; `admin status` as the operator would run it, as a child process.
const admin = (args: string[]) => run(NODE, [...WITH_TSX, "workers/admin.ts", ...args], { LOG_LEVEL: "warn" });

async function status(args: string[] = []) {
  const result = await admin(["status", "--json", ...args]);
  const line = result.output.trim().split("\n").at(-1) ?? "";
  return { code: result.code, json: JSON.parse(line), output: result.output };
}

const running: Running[] = [];
afterAll(async () => {
  for (const p of running) await p.stop("SIGKILL");
  await closeQueues();
  await closeRedis();
});

function startWorker() {
  const worker = start(NODE, [...WITH_TSX, "workers/worker.ts"]);
  running.push(worker);
  return worker;
}

describe("admin status on a running install", { timeout: 180_000 }, () => {
  it("prints the documented shape, the live processes, a backlog while the worker is stopped, and exits 2 past --max-age", async () => {
    const { project, key } = await createOrgWithProject();
    const port = await freePort();
    const ingest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(port) });
    running.push(ingest);
    let worker = startWorker();
    await Promise.all([ingest.waitFor(/ingest listening/), worker.waitFor(/worker started/)]);
    const sendEvents = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const reply = await send(`http://127.0.0.1:${port}/api/${project.id}/envelope/`, {
          body: eventEnvelope(errorEvent({ message: `status test ${i}` })),
          headers: { "x-sentry-auth": `Sentry sentry_key=${key.publicKey}, sentry_version=7` },
        });
        expect(reply.status).toBe(200);
      }
    };

    // Events flow and are stored: no backlog, both processes alive, the minute counted.
    await sendEvents(5);
    await expect.poll(() => db().event.count({ where: { projectId: project.id } }), { timeout: 30_000 }).toBe(5);
    const live = await status();
    expect(live.code, live.output).toBe(0);
    expect(Object.keys(live.json).sort()).toEqual(["deadLetters", "processes", "queues", "streams"]);
    expect(Object.keys(live.json.queues).sort()).toEqual(["alerts", "artifacts", "events", "maintenance"]);
    for (const counts of Object.values(live.json.queues)) {
      expect(Object.keys(counts as object).sort()).toEqual(["active", "delayed", "failed", "waiting"]);
    }
    expect(live.json.streams.filter((s: { projectId: number }) => s.projectId === project.id)).toEqual([]);
    expect(typeof live.json.deadLetters).toBe("number");
    const byKind = (json: { processes: { kind: string; pid: number }[] }, kind: string) => json.processes.filter((p) => p.kind === kind);
    expect(byKind(live.json, "ingest")).toEqual([
      {
        kind: "ingest",
        host: expect.any(String),
        pid: ingest.child.pid,
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        uptimeSeconds: expect.any(Number),
        rssBytes: expect.any(Number),
      },
    ]);
    expect(byKind(live.json, "worker").map((p) => p.pid)).toEqual([worker.child.pid]);
    expect(byKind(live.json, "worker")[0]).toMatchObject({ rssBytes: expect.any(Number) });
    expect((byKind(live.json, "worker")[0] as unknown as { rssBytes: number }).rssBytes).toBeGreaterThan(10_000_000);
    const minutes = await unsafeProcessedPerMinute(5);
    expect(minutes).toHaveLength(5);
    expect(minutes.reduce((sum, m) => sum + m.events, 0)).toBeGreaterThanOrEqual(5);

    // The worker stops cleanly: it leaves the list at once, and events wait in the stream.
    expect((await worker.stop("SIGTERM")).code).toBe(0);
    await sendEvents(3);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const waiting = await status();
    expect(waiting.code, waiting.output).toBe(0); // the default --max-age is 300 s
    expect(byKind(waiting.json, "worker")).toEqual([]);
    expect(byKind(waiting.json, "ingest")).toHaveLength(1);
    const stream = waiting.json.streams.find((s: { projectId: number }) => s.projectId === project.id);
    expect(stream).toEqual({ projectId: project.id, backlog: 3, bytes: expect.any(Number), oldestAgeSeconds: expect.any(Number) });
    expect(stream.bytes).toBeGreaterThan(0);
    expect(stream.oldestAgeSeconds).toBeGreaterThanOrEqual(1);
    const late = await status(["--max-age", "0"]);
    expect(late.code, late.output).toBe(2);
    const text = await admin(["status", "--max-age", "0"]);
    expect(text.code).toBe(2);
    expect(text.output).toMatch(/queue\s+waiting\s+active\s+delayed\s+failed/);
    expect(text.output).toContain("(late)");
    expect((await admin(["status", "--max-age", "soon"])).output).toMatch(/^error: --max-age must be a number of seconds$/m);

    // A new worker drains the backlog: nothing waits, and the check passes again.
    worker = startWorker();
    await expect.poll(() => db().event.count({ where: { projectId: project.id } }), { timeout: 30_000 }).toBe(8);
    const drained = await status(["--max-age", "0"]);
    expect(drained.json.streams.filter((s: { projectId: number }) => s.projectId === project.id)).toEqual([]);
    expect(byKind(drained.json, "worker").map((p) => p.pid)).toEqual([worker.child.pid]);
    await worker.stop("SIGTERM");
    await ingest.stop("SIGTERM");
  });
});

describe("failed jobs: list, retry, delete on a real queue", { timeout: 120_000 }, () => {
  it("retries and deletes failed jobs; unknown queues and jobs that did not fail are 404s", async () => {
    const worker = startWorker();
    await worker.waitFor(/worker started/);
    // An invalid payload fails for good on its first attempt (workers/worker.ts).
    const [a, b] = await Promise.all([
      queue("maintenance").add("cleanup-sessions", { unexpected: "a" }),
      queue("maintenance").add("cleanup-sessions", { unexpected: "b" }),
    ]);
    await expect.poll(async () => (await a.isFailed()) && (await b.isFailed()), { timeout: 15_000 }).toBe(true);
    expect((await worker.stop("SIGTERM")).code).toBe(0);

    const failed = await unsafeFailedJobs("maintenance", 0, 49);
    const mine = failed.filter((j) => j.id === a.id || j.id === b.id);
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatchObject({ name: "cleanup-sessions", attemptsMade: 1, failedReason: expect.stringMatching(/invalid payload/) });
    expect(mine.map((j) => j.data)).toEqual(expect.arrayContaining([{ unexpected: "a" }, { unexpected: "b" }]));

    await unsafeRetryFailedJob("maintenance", a.id!);
    expect(await queue("maintenance").getJobState(a.id!)).toBe("waiting");
    expect((await queue("maintenance").getJob(a.id!))?.attemptsMade).toBe(0);
    await unsafeDeleteFailedJob("maintenance", b.id!);
    expect(await queue("maintenance").getJob(b.id!)).toBeUndefined();
    expect((await unsafeFailedJobs("maintenance", 0, 49)).map((j) => j.id)).not.toContain(b.id);

    // a is waiting now, b is gone: neither is a failed job to act on.
    await expect(unsafeRetryFailedJob("maintenance", a.id!)).rejects.toMatchObject({ code: "not_found" });
    await expect(unsafeDeleteFailedJob("maintenance", b.id!)).rejects.toMatchObject({ code: "not_found" });
    await expect(unsafeFailedJobs("no-such-queue", 0, 10)).rejects.toMatchObject({ code: "not_found" });
    await expect(unsafeRetryFailedJob("events", a.id!)).rejects.toMatchObject({ code: "not_found" });
    await queue("maintenance").remove(a.id!);
  });
});

describe("superusers", { timeout: 120_000 }, () => {
  it("admin superuser turns the flag on and off; requireSuperuser is a 404 for everyone else", async () => {
    const { user } = await createOrgWithProject();
    await expect(requireSuperuser(user.id)).rejects.toMatchObject({ code: "not_found" });
    const on = await admin(["superuser", "--email", user.email.toUpperCase()]);
    expect(on.code, on.output).toBe(0);
    expect(on.output).toContain(`${user.email} is now a superuser`);
    expect((await db().user.findUniqueOrThrow({ where: { id: user.id } })).isSuperuser).toBe(true);
    await expect(requireSuperuser(user.id)).resolves.toBeUndefined();

    const off = await admin(["superuser", "--email", user.email, "--off", "--json"]);
    expect(off.code, off.output).toBe(0);
    expect(JSON.parse(off.output.trim().split("\n").at(-1)!)).toEqual({ id: user.id, email: user.email, isSuperuser: false });
    await expect(requireSuperuser(user.id)).rejects.toMatchObject({ code: "not_found" });

    const unknown = await admin(["superuser", "--email", "nobody-here@example.com"]);
    expect(unknown.code).toBe(1);
    expect(unknown.output.trim()).toBe("error: no user with email nobody-here@example.com");
    const missing = await admin(["superuser"]);
    expect(missing.output.trim()).toBe("error: --email is required");
    await expect(requireSuperuser(null)).rejects.toMatchObject({ code: "not_found" });
    await expect(requireSuperuser(2 ** 31 + 5)).rejects.toMatchObject({ code: "not_found" });
  });
});
