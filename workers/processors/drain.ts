import { z } from "zod";
import { StreamDrain } from "@/lib/events/process-batch";
import { finishDrain } from "@/lib/events/stream";
import { queue, type JobDefinition } from "@/lib/queues";

// A job yields after about this long so other projects' jobs get their turn: a flooding
// tenant is one job at a time in the queue, re-queued at the back.
const TIME_SLICE_MS = 1000;

/** Drains a project's stream into Postgres, a batch per transaction. */
export const drainJob: JobDefinition<{ projectId: number }> = {
  name: "drain",
  queue: "events",
  schema: z.object({ projectId: z.number().int().positive() }),
  async handle({ projectId }) {
    const drain = new StreamDrain(projectId);
    const started = Date.now();
    let processed = 0;
    let lastBatchMs = 0;
    for (;;) {
      const batchStarted = Date.now();
      // Whether another batch follows this one is decided up front, so the next batch is only
      // read ahead (and prepared) when it will be stored by this job.
      const another = batchStarted - started + lastBatchMs < TIME_SLICE_MS;
      const batch = await drain.next({ readAhead: another });
      processed += batch.entries;
      lastBatchMs = Date.now() - batchStarted;
      if (!another || !batch.more) break;
    }
    // Another job is queued while entries remain; otherwise the flag is cleared atomically.
    if (await finishDrain(projectId)) await queue("events").add("drain", { projectId });
    return { processed };
  },
};
