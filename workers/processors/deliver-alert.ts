import { type Job, UnrecoverableError } from "bullmq";
import { z } from "zod";
import { DELIVER_ALERT_JOB } from "@/lib/alerts/enqueue";
import { unsafeAttemptDelivery } from "@/lib/alerts/deliver/process";
import type { JobDefinition } from "@/lib/queues";

/**
 * Delivers one action of a fired rule (one alert_deliveries row), so a receiver that fails or
 * hangs delays only its own job. A failure that may pass (5xx, 408, 429, timeout, connection
 * error, SMTP down) throws for BullMQ to retry on the alert schedule; one that will not (4xx,
 * a refused private address) or the last attempt ends the job.
 */
export const deliverAlertJob: JobDefinition<{ deliveryId: string }> = {
  name: DELIVER_ALERT_JOB,
  queue: "alerts",
  schema: z.object({ deliveryId: z.string().regex(/^\d{1,19}$/) }).strict(),
  async handle({ deliveryId }, job: Job) {
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const run = await unsafeAttemptDelivery(BigInt(deliveryId), lastAttempt);
    if (run.done === "retrying") throw new Error(run.outcome.error ?? "delivery failed");
    if (run.done === "failed") throw new UnrecoverableError(run.outcome.error ?? "delivery failed");
    return run.done;
  },
};
