// The install's operator facts: queues, streams, processes, throughput, Redis and Postgres
// sizes. Everything here is `unsafe` (no viewer): callers are the admin CLI, run by whoever
// has the install's shell, and the /_admin pages, which call requireSuperuser first.
export type { FailedJob, OperatorStatus, ProcessFact, QueueCounts, StreamFact } from "./types";
export { unsafeOperatorStatus, unsafeStreamFacts, unsafeQueueCounts } from "./status";
export { unsafeProcessedPerMinute, recordProcessed } from "./throughput";
export { unsafeFailedJobs, unsafeRetryFailedJob, unsafeDeleteFailedJob } from "./jobs";
export { unsafeRedisMemory, unsafeDatabaseSizes } from "./resources";
export { requireSuperuser, unsafeSetSuperuser } from "./superuser";
export { startHeartbeat, unsafeListProcesses } from "./heartbeat";
export { DEFAULT_MAX_AGE_SECONDS, type StatusJson, statusJson, unsafeStatusReport } from "./report";
export { unsafeFirstUserIsSuperuser } from "./first-user";
