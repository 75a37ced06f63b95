import type { Job } from "bullmq";
import { AppError } from "../errors";
import { QUEUES, type QueueName, queue } from "../queues";
import type { FailedJob } from "./types";

// Failed BullMQ jobs, for the operator to read, retry or delete. Payloads are ids only (see
// lib/queues.ts), so showing `data` reveals no event content.

const PAGE_MAX = 100;

function knownQueue(name: string): QueueName {
  const found = Object.values(QUEUES).find((q) => q === name);
  if (!found) throw new AppError("not_found", `no queue "${name}"`);
  return found;
}

/** Failed jobs of a queue, newest first, from index `start` to `end` inclusive (at most 100). */
export async function unsafeFailedJobs(name: string, start: number, end: number): Promise<FailedJob[]> {
  const q = queue(knownQueue(name));
  const from = Math.max(0, Math.floor(start));
  const to = Math.min(Math.floor(end), from + PAGE_MAX - 1);
  if (!(to >= from)) return [];
  const jobs = (await q.getJobs(["failed"], from, to, false)) as Job[];
  return jobs
    .filter((job) => job?.id !== undefined)
    .map((job) => ({
      id: String(job.id),
      name: job.name,
      failedReason: job.failedReason ?? "",
      attemptsMade: job.attemptsMade,
      timestamp: job.finishedOn ?? job.timestamp,
      data: job.data,
    }));
}

async function failedJob(name: string, id: string): Promise<Job> {
  const job = await queue(knownQueue(name)).getJob(id);
  if (!job || !(await job.isFailed())) throw new AppError("not_found", `no failed job ${id} in "${name}"`);
  return job;
}

/** Moves a failed job back to waiting, with its attempts counted from zero again. */
export async function unsafeRetryFailedJob(name: string, id: string): Promise<void> {
  const job = await failedJob(name, id);
  await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
}

/** Removes a failed job for good. */
export async function unsafeDeleteFailedJob(name: string, id: string): Promise<void> {
  const job = await failedJob(name, id);
  await job.remove();
}
