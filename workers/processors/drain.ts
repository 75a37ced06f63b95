import { z } from "zod";
import { StreamDrain } from "@/lib/events/process-batch";
import { finishDrain, type Lane } from "@/lib/events/stream";
import { PROJECT_LANES } from "@/lib/ingest/stream-keys";
import { recordProcessed } from "@/lib/operator/throughput";
import { observeDrainBatch } from "@/lib/metrics/worker";
import { queue, type JobDefinition } from "@/lib/queues";

// A job yields after about this long so other projects' jobs get their turn: a flooding
// tenant is one job per lane in the queue, re-queued at the back.
const TIME_SLICE_MS = 1000;

/** Drains one lane of a project's streams into Postgres, a batch per transaction. */
export const drainJob: JobDefinition<{ projectId: number; lane: number }> = {
  name: "drain",
  queue: "events",
  schema: z.object({
    projectId: z.number().int().positive(),
    // Jobs queued before lanes existed drain lane 0, whose keys are the old ones.
    lane: z
      .number()
      .int()
      .min(0)
      .max(PROJECT_LANES - 1)
      .default(0),
  }),
  async handle(lane, job) {
    try {
      return await drainLane(lane);
    } catch (error) {
      // A job that failed its last attempt leaves the lane's drain flag set, so ingest queues
      // no other and the lane would wait for requeue-stuck-drains (a minute or more): the last
      // attempt hands the lane to a new job instead, a little later.
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (lastAttempt) await queue("events").add("drain", lane, { delay: HANDOVER_DELAY_MS }).catch(() => {});
      throw error;
    }
  },
};

// Item errors never fail a batch (they are bisected out, see process-batch.ts), so a drain
// fails on the database or Redis being away: worth trying again after the retries' backoff.
const HANDOVER_DELAY_MS = 10_000;

async function drainLane(lane: Lane) {
  const drain = new StreamDrain(lane);
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
    observeDrainBatch(batch, lastBatchMs);
    if (!another || !batch.more) break;
  }
  recordProcessed(processed); // the console's per-minute chart: one INCRBY per job, not awaited
  // Another job is queued while entries remain; otherwise the flag is cleared atomically.
  if (await finishDrain(lane)) await queue("events").add("drain", lane);
  return { processed };
}
