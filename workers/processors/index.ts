import type { JobDefinition } from "@/lib/queues";
import { assembleArtifactBundleJob } from "./assemble-artifact-bundle";
import { cleanupSessions } from "./cleanup-sessions";
import { createEventPartitionsJob } from "./create-event-partitions";
import { deliverAlertJob } from "./deliver-alert";
import { detectMonitorFailuresJob } from "./detect-monitor-failures";
import { drainJob } from "./drain";
import { enforceRetentionJob } from "./enforce-retention";
import { flushOutcomesJob } from "./flush-outcomes";
import { pruneArtifactsJob } from "./prune-artifacts";
import { quotaNoticesJob } from "./quota-notices";
import { reportOverageJob } from "./report-overage";
import { requeueAlertDeliveriesJob } from "./requeue-alert-deliveries";
import { requeueStuckDrains } from "./requeue-stuck-drains";
import { sweepPendingSpansJob } from "./sweep-pending-spans";

/** Every job the worker process runs. */
export const processors: JobDefinition<unknown>[] = [
  drainJob,
  cleanupSessions,
  flushOutcomesJob,
  requeueStuckDrains,
  reportOverageJob,
  quotaNoticesJob,
  enforceRetentionJob,
  createEventPartitionsJob,
  deliverAlertJob,
  requeueAlertDeliveriesJob,
  assembleArtifactBundleJob,
  pruneArtifactsJob,
  detectMonitorFailuresJob,
  sweepPendingSpansJob,
];
