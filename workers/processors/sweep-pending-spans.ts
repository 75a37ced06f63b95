import { z } from "zod";
import { unsafeSweepPendingSpans } from "@/lib/performance/sweep-pending-spans";
import type { JobDefinition } from "@/lib/queues";

/** Every minute: streamed spans whose segment never came, deleted and counted (missing_segment). */
export const sweepPendingSpansJob: JobDefinition<Record<string, never>> = {
  name: "sweep-pending-spans",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 60_000,
  handle: () => unsafeSweepPendingSpans(),
};
