// The facts the operator console (/_admin) and `npm run admin -- status` show.

export type QueueCounts = { waiting: number; active: number; delayed: number; completed: number; failed: number };
export type StreamFact = {
  projectId: number;
  orgSlug: string;
  projectSlug: string;
  lane: number;
  backlog: number;
  bytes: number;
  oldestAgeSeconds: number | null;
};
export type ProcessFact = {
  kind: "web" | "ingest" | "worker";
  host: string;
  pid: number;
  version: string;
  uptimeSeconds: number;
  rssBytes: number;
  lastSeenSeconds: number;
};
export type OperatorStatus = {
  queues: Record<string, QueueCounts>;
  streams: StreamFact[];
  processes: ProcessFact[];
  deadLetters: number;
};
export type FailedJob = {
  id: string;
  name: string;
  failedReason: string;
  attemptsMade: number;
  timestamp: number;
  data: unknown;
};
