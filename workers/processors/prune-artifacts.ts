import { z } from "zod";
import { unsafePruneArtifacts } from "@/lib/artifacts/prune";
import type { JobDefinition } from "@/lib/queues";

/** Daily: artifact bundles unused for 90 days, and chunks and assembly records older than a day. */
export const pruneArtifactsJob: JobDefinition<Record<string, never>> = {
  name: "prune-artifacts",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 24 * 60 * 60_000,
  handle: () => unsafePruneArtifacts(),
};
