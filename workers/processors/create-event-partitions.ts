import { z } from "zod";
import { PARTITIONED_TABLES, unsafeCreatePartitions } from "@/lib/partitions";
import type { JobDefinition } from "@/lib/queues";

/**
 * Every hour: the weekly partitions of events and transactions for this week and the next two,
 * made ahead so inserts never wait on DDL (idempotent: an existing week is left alone). Hourly,
 * although a week is made once, so a worker that was down comes back to a week ahead within the
 * hour. The name stays from when it made only events' weeks: renaming it would leave the old
 * repeatable job scheduled on existing installs.
 */
export const createEventPartitionsJob: JobDefinition<Record<string, never>> = {
  name: "create-event-partitions",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 60 * 60_000,
  handle: async () => {
    const made: string[] = [];
    for (const partitioned of PARTITIONED_TABLES) made.push(...(await unsafeCreatePartitions(partitioned)));
    return made;
  },
};
