import { z } from "zod";
import { drainBatch } from "@/lib/events/process-batch";
import { finishDrain } from "@/lib/events/stream";
import { queue, type JobDefinition } from "@/lib/queues";

const BATCH_SIZE = 500;
// A job yields after this long so other projects' jobs get their turn: a flooding tenant is
// one job at a time in the queue, re-queued at the back.
const TIME_SLICE_MS = 1000;

/** Drains a project's stream into Postgres, a batch per transaction. */
export const drainJob: JobDefinition<{ projectId: number }> = {
  name: "drain",
  queue: "events",
  schema: z.object({ projectId: z.number().int().positive() }),
  async handle({ projectId }) {
    const started = Date.now();
    let processed = 0;
    for (;;) {
      const batch = await drainBatch(projectId, BATCH_SIZE);
      processed += batch.entries;
      if (batch.entries < BATCH_SIZE || Date.now() - started > TIME_SLICE_MS) break;
    }
    // Another job is queued while entries remain; otherwise the flag is cleared atomically.
    if (await finishDrain(projectId)) await queue("events").add("drain", { projectId });
    return { processed };
  },
};
