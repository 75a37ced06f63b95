import { hostname } from "node:os";
import { Worker, UnrecoverableError, type Job } from "bullmq";
import { ALERT_BACKOFF, alertRetryDelay } from "@/lib/alerts/enqueue";
import { closeDb } from "@/lib/db";
import { env } from "@/lib/env";
import { idleCollector } from "@/lib/idle-gc";
import { logger } from "@/lib/logger";
import { startHeartbeat } from "@/lib/operator/heartbeat";
import { startMetricsServer } from "@/lib/metrics/server";
import { countJob, initWorkerMetrics } from "@/lib/metrics/worker";
import { closeQueues, queue, queuePrefix, type JobDefinition, type QueueName } from "@/lib/queues";
import { closeRedis, createRedis } from "@/lib/redis";
import { boot, onShutdown } from "@/lib/runtime";
import { processors } from "./processors";

const log = logger.child({ service: "worker" });

function dispatcher(definitions: JobDefinition<unknown>[]) {
  const byName = new Map(definitions.map((d) => [d.name, d]));
  return async (job: Job) => {
    const definition = byName.get(job.name);
    if (!definition) throw new UnrecoverableError(`no processor for job "${job.name}"`);
    const parsed = definition.schema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid payload for "${job.name}": ${parsed.error.message}`);
    return definition.handle(parsed.data, job);
  };
}

function byQueue(definitions: JobDefinition<unknown>[]): Map<QueueName, JobDefinition<unknown>[]> {
  const groups = new Map<QueueName, JobDefinition<unknown>[]>();
  for (const d of definitions) groups.set(d.queue, [...(groups.get(d.queue) ?? []), d]);
  return groups;
}

const connections: ReturnType<typeof createRedis>[] = [];

// Drain jobs are one per project at a time, so this many projects are processed in parallel.
// Alert deliveries wait on other servers (up to 5 s each): many at once, so one slow receiver
// never holds up the others. SMALL_SERVER halves the drains, whose batches are what the worker
// holds in memory, and matches lib/db.ts's smaller pools.
function concurrency(): Record<QueueName, number> {
  return env().SMALL_SERVER
    ? { events: 2, maintenance: 1, alerts: 16, artifacts: 1 }
    : { events: 4, maintenance: 2, alerts: 32, artifacts: 2 };
}

async function startWorkers(): Promise<Worker[]> {
  const workers: Worker[] = [];
  const idle = idleCollector();
  for (const [queueName, definitions] of byQueue(processors)) {
    // A connection of its own, which BullMQ leaves open on close(): closed at shutdown.
    const connection = createRedis("worker");
    connections.push(connection);
    const worker = new Worker(queueName, dispatcher(definitions), {
      connection,
      prefix: queuePrefix(queueName),
      // Kept on each job it takes (processedBy): with WORKER_PROCESSES above 1, or workers on
      // several machines, which process ran a job. The heartbeat's name for this process.
      name: `worker:${hostname()}:${process.pid}`,
      concurrency: concurrency()[queueName],
      // A killed worker's job is noticed within seconds and run again; its batch, still
      // pending in the stream, is re-read first.
      lockDuration: 15_000,
      stalledInterval: 5_000,
      maxStalledCount: 5,
      // Only jobs whose backoff type is not built in ask this: alert deliveries, which retry on a
      // schedule of their own (lib/alerts/enqueue.ts).
      settings: { backoffStrategy: (attemptsMade, type) => (type === ALERT_BACKOFF ? alertRetryDelay(attemptsMade) : 0) },
    });
    worker.on("active", () => idle.begin());
    worker.on("failed", (job, err) => {
      idle.end();
      countJob(queueName, "failed");
      log.warn({ job: job?.name, id: job?.id, err: err.message }, "job failed");
    });
    worker.on("completed", () => {
      idle.end();
      countJob(queueName, "completed");
    });
    worker.on("error", (err) => log.error({ err: err.message }, "worker error"));
    workers.push(worker);
    for (const d of definitions) {
      if (d.every) await queue(queueName).upsertJobScheduler(d.name, { every: d.every }, { name: d.name, data: {} });
    }
  }
  return workers;
}

async function main() {
  await boot();
  initWorkerMetrics();
  const metricsServer = await startMetricsServer("worker");
  const workers = await startWorkers();
  log.info({ queues: workers.map((w) => w.name) }, "worker started");
  const stopHeartbeat = startHeartbeat("worker");
  onShutdown(async () => {
    log.info("worker stopping: finishing in-flight jobs");
    await stopHeartbeat();
    // close() waits for active jobs to finish before it resolves.
    await Promise.all(workers.map((w) => w.close()));
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    await closeQueues();
    await closeRedis();
    await closeDb();
    log.info("worker stopped");
  });
}

await main();
