import { z } from "zod";
import { unsafeSweepAlertDeliveries } from "@/lib/alerts/deliveries";
import type { JobDefinition } from "@/lib/queues";

/**
 * Every minute: queues again the deliveries a crash left pending between their batch's commit
 * and the enqueue that follows it, and prunes the delivery log.
 */
export const requeueAlertDeliveriesJob: JobDefinition<Record<string, never>> = {
  name: "requeue-alert-deliveries",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 60_000,
  handle: () => unsafeSweepAlertDeliveries(),
};
