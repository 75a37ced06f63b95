import { z } from "zod";
import type { JobDefinition } from "@/lib/queues";
import { flushOutcomes } from "@/lib/usage/flush-outcomes";

/** Every 15 s: ingest's outcome counters (accepted, filtered, rate limited, invalid) into Postgres. */
export const flushOutcomesJob: JobDefinition<Record<string, never>> = {
  name: "flush-outcomes",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 15_000,
  handle: () => flushOutcomes(),
};
