import { z } from "zod";
import { unsafeCreateEventPartitions } from "@/lib/events/partitions";
import type { JobDefinition } from "@/lib/queues";

/**
 * Every hour: the weekly partitions of events for this week and the next two, made ahead so
 * inserts never wait on DDL (idempotent: an existing week is left alone). Hourly, although a
 * week is made once, so a worker that was down comes back to a week ahead within the hour.
 */
export const createEventPartitionsJob: JobDefinition<Record<string, never>> = {
  name: "create-event-partitions",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 60 * 60_000,
  handle: () => unsafeCreateEventPartitions(),
};
