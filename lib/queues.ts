import { type Job, Queue, type JobsOptions } from "bullmq";
import type { z } from "zod";
import { env } from "./env";
import { createRedis, isClustered } from "./redis";

// artifacts: bundle assembly, apart from maintenance so a long retention run never keeps a CLI
// waiting with --wait (it polls for 60 s at most).
export const QUEUES = { events: "events", maintenance: "maintenance", alerts: "alerts", artifacts: "artifacts" } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Jobs are data: a name, a schema for the payload (ids only, no PII) and a handler. */
export type JobDefinition<T> = {
  name: string;
  queue: QueueName;
  schema: z.ZodType<T>;
  // Method syntax on purpose: a list of definitions with different payloads type-checks.
  handle(data: T, job: Job): Promise<unknown>;
  /** Repeat schedule for maintenance jobs. */
  every?: number;
};

export const defaultJobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};

/**
 * The BullMQ prefix of a queue. On one server it is REDIS_PREFIX, as it always was. A Redis
 * Cluster needs all of a queue's keys in one slot (BullMQ's scripts touch several), so the
 * prefix is a hash tag, one per queue: the queues spread over the cluster instead of sharing
 * one slot. Producers and workers must agree on it: both take it from here.
 */
export function queuePrefix(name: QueueName): string {
  return isClustered() ? `{${env().REDIS_PREFIX}:${name}}` : env().REDIS_PREFIX;
}

const queues = new Map<QueueName, Queue>();
let producerConnection: ReturnType<typeof createRedis> | undefined;

/** The producer side of a queue, shared per process on one Redis connection. */
export function queue(name: QueueName): Queue {
  let q = queues.get(name);
  if (!q) {
    producerConnection ??= createRedis("producer");
    q = new Queue(name, { connection: producerConnection, prefix: queuePrefix(name), defaultJobOptions });
    queues.set(name, q);
  }
  return q;
}

export async function closeQueues(): Promise<void> {
  await Promise.all([...queues.values()].map((q) => q.close()));
  queues.clear();
  const connection = producerConnection;
  producerConnection = undefined;
  if (connection) await connection.quit().catch(() => connection.disconnect());
}
