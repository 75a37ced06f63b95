import { z } from "zod";
import { unsafeReportOverage } from "@/lib/billing/overage";
import type { JobDefinition } from "@/lib/queues";

/** Every 5 min: pay-as-you-go overage beyond the plan's quota to Stripe meter events, up to the budget. */
export const reportOverageJob: JobDefinition<Record<string, never>> = {
  name: "report-overage",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 5 * 60_000,
  handle: () => unsafeReportOverage(),
};
