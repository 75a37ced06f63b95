import { z } from "zod";
import { lanesWithStaleEntries } from "@/lib/events/stream";
import { queue, type JobDefinition } from "@/lib/queues";

// A drain job that failed for good (or was lost with a Redis failover) leaves its lane's
// drain flag set, so ingest never queues another. Entries waiting longer than this get a new
// job; an extra job is harmless, as drains of one lane take turns on its checkpoint lock.
const STUCK_AFTER_MS = 60_000;

export const requeueStuckDrains: JobDefinition<Record<string, never>> = {
  name: "requeue-stuck-drains",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 30_000,
  async handle() {
    const lanes = await lanesWithStaleEntries(STUCK_AFTER_MS);
    for (const lane of lanes) await queue("events").add("drain", lane);
    return { requeued: lanes };
  },
};
