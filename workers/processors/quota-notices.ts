import { z } from "zod";
import { unsafeSendQuotaNotices } from "@/lib/billing/quota-notices";
import type { JobDefinition } from "@/lib/queues";

/** Every minute: email owners once per month when their org passes 80% and 100% of its quota. */
export const quotaNoticesJob: JobDefinition<Record<string, never>> = {
  name: "quota-notices",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 60_000,
  handle: () => unsafeSendQuotaNotices(),
};
