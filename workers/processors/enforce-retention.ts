import { z } from "zod";
import { unsafeEnforceRetention } from "@/lib/billing/retention";
import type { JobDefinition } from "@/lib/queues";

/** Every hour: delete events and issues older than each org's plan keeps (bounded batches). */
export const enforceRetentionJob: JobDefinition<Record<string, never>> = {
  name: "enforce-retention",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 60 * 60_000,
  handle: () => unsafeEnforceRetention(),
};
