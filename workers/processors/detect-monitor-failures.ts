import { z } from "zod";
import { unsafeDetectMonitorFailures } from "@/lib/monitors/detect";
import type { JobDefinition } from "@/lib/queues";

/**
 * Every minute: cron monitors' missed check-ins (no check-in by the expected time plus the
 * margin) and timeouts (in progress past max_runtime), which open and escalate their issues.
 */
export const detectMonitorFailuresJob: JobDefinition<Record<string, never>> = {
  name: "detect-monitor-failures",
  queue: "maintenance",
  schema: z.object({}).strict(),
  every: 60_000,
  handle: () => unsafeDetectMonitorFailures(),
};
