import { z } from "zod";
import { db } from "@/lib/db";
import type { JobDefinition } from "@/lib/queues";

/** Deletes web sessions that expired, so the sessions table stays the size of active users. */
export const cleanupSessions: JobDefinition<Record<string, never>> = {
  name: "cleanup-sessions",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 60 * 60 * 1000,
  async handle() {
    const { count } = await db().session.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    return { deleted: count };
  },
};
