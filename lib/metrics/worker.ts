import { Counter, Gauge, Histogram } from "prom-client";
import { QUEUES, queue } from "../queues";
import { metricsEnabled, metricsRegistry } from "./registry";

type WorkerMetrics = {
  entries: Counter;
  stored: Counter;
  batches: Counter;
  batchSeconds: Histogram;
  jobs: Counter<"queue" | "result">;
};

let metrics: WorkerMetrics | null | undefined;

// Job states read from BullMQ at scrape time, not counted as jobs move, so the numbers are the
// queue's own (all workers together) and survive restarts.
const STATES = ["waiting", "active", "delayed", "failed"] as const;

function workerMetrics(): WorkerMetrics | null {
  if (metrics !== undefined) return metrics;
  if (!metricsEnabled()) {
    metrics = null;
    return null;
  }
  const registers = [metricsRegistry("worker")];
  new Gauge({
    name: "errorhub_queue_jobs",
    help: "Jobs per BullMQ queue and state, read from Redis at scrape time (all workers of the install)",
    labelNames: ["queue", "state"],
    registers,
    async collect() {
      const counts = await Promise.all(Object.values(QUEUES).map(async (name) => [name, await queue(name).getJobCounts(...STATES)] as const));
      for (const [name, byState] of counts) for (const state of STATES) this.set({ queue: name, state }, byState[state] ?? 0);
    },
  });
  metrics = {
    entries: new Counter({ name: "errorhub_worker_stream_entries_total", help: "Stream entries (envelope items) drained by this process", registers }),
    stored: new Counter({ name: "errorhub_worker_events_stored_total", help: "Error events inserted by this process (duplicates and dropped items excluded)", registers }),
    batches: new Counter({ name: "errorhub_worker_batches_total", help: "Drain batches (one transaction each) committed by this process", registers }),
    batchSeconds: new Histogram({
      name: "errorhub_worker_batch_duration_seconds",
      help: "Time to read, store and acknowledge one drain batch",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    jobs: new Counter({ name: "errorhub_worker_jobs_total", help: "Jobs finished by this process, by queue and result (completed, failed)", labelNames: ["queue", "result"], registers }),
  };
  return metrics;
}

/** Creates the worker's metrics up front, so a scrape before the first job shows zeros. */
export function initWorkerMetrics(): void {
  workerMetrics();
}

/** One committed drain batch. */
export function observeDrainBatch(batch: { entries: number; inserted: number }, ms: number): void {
  const m = workerMetrics();
  if (!m) return;
  m.batches.inc();
  m.entries.inc(batch.entries);
  m.stored.inc(batch.inserted);
  m.batchSeconds.observe(ms / 1000);
}

export function countJob(queueName: string, result: "completed" | "failed"): void {
  const m = workerMetrics();
  if (!m) return;
  m.jobs.inc({ queue: queueName, result });
}
