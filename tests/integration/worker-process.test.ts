import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { closeQueues, queue } from "@/lib/queues";
import { NODE, WITH_TSX, start } from "../support/processes";

describe("worker process", () => {
  afterAll(async () => {
    await closeQueues();
  });

  it("runs the session cleanup job and stops cleanly on SIGTERM", async () => {
    const user = await db().user.create({ data: { email: `sessions-${Date.now()}@example.com` } });
    const expired = await db().session.create({
      data: { userId: user.id, tokenHash: `expired-${user.id}`, expiresAt: new Date(Date.now() - 1000) },
    });
    const live = await db().session.create({
      data: { userId: user.id, tokenHash: `live-${user.id}`, expiresAt: new Date(Date.now() + 3600_000) },
    });

    const worker = start(NODE, [...WITH_TSX, "workers/worker.ts"]);
    try {
      await worker.waitFor(/worker started/);
      const job = await queue("maintenance").add("cleanup-sessions", {});
      await expect.poll(() => job.isCompleted(), { timeout: 15_000 }).toBe(true);
      expect(await db().session.findUnique({ where: { id: expired.id } })).toBeNull();
      expect(await db().session.findUnique({ where: { id: live.id } })).not.toBeNull();

      const { code, ms } = await worker.stop("SIGTERM");
      expect(code).toBe(0);
      expect(ms).toBeLessThan(10_000);
      expect(worker.output()).toMatch(/worker stopped/);
    } finally {
      await worker.stop("SIGKILL");
    }
  });

  it("fails a job with an invalid payload for good instead of retrying it", async () => {
    const worker = start(NODE, [...WITH_TSX, "workers/worker.ts"]);
    try {
      await worker.waitFor(/worker started/);
      const job = await queue("maintenance").add("cleanup-sessions", { unexpected: true });
      await expect.poll(() => job.isFailed(), { timeout: 15_000 }).toBe(true);
      const failed = await queue("maintenance").getJob(job.id!);
      expect(failed?.failedReason).toMatch(/invalid payload for "cleanup-sessions"/);
      expect(failed?.attemptsMade).toBe(1);
    } finally {
      await worker.stop("SIGTERM");
    }
  });
});
