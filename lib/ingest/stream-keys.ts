import { redisKey } from "../redis";

// Redis Streams of accepted items per project, plus, per stream, a flag that is set while a
// drain job for it is queued or running. The {p<id>} hash tag keeps a project's keys in one
// Redis Cluster slot.
//
// A project's items are spread over PROJECT_LANES streams ("lanes"), each drained by its own
// job under its own checkpoint, so one busy project has that many batches being stored at
// once: a batch is a chain of statements, and while one lane's waits on Postgres the worker
// prepares or stores another's. Lane 0 keeps the key names of the time before lanes.
export const PROJECT_LANES = 2;

const suffix = (lane: number) => (lane === 0 ? "" : `:${lane}`);
/** A lane stream's key below the Redis prefix (benchmarks put their own prefix in front). */
export const streamKeyName = (projectId: number, lane: number) => `{p${projectId}}:stream${suffix(lane)}`;
export const projectStreamKey = (projectId: number, lane: number) => redisKey(streamKeyName(projectId, lane));
export const drainFlagKey = (projectId: number, lane: number) => redisKey(`{p${projectId}}`, `drain${suffix(lane)}`);
/** A lane's measured bytes in Redis, kept for a second by ingest's accept script. */
export const backlogBytesKey = (projectId: number, lane: number) => redisKey(`{p${projectId}}`, `bytes${suffix(lane)}`);
export const allLanes = Array.from({ length: PROJECT_LANES }, (_, lane) => lane);

// Events, security reports and transactions spread over the lanes by event id: their stored
// effects (inserts, counter increments, min/max of timestamps) do not depend on order, and a
// resent event meets its first copy in the same lane. Every other item (sessions, check-ins,
// whose updates must apply in order, client reports, feedback) stays in lane 0, and so do
// streamed spans: a segment's children sent before it must be stored before it
// (lib/performance/pending-spans.ts), so a request with spans goes to lane 0 whatever else
// it holds.
const SPREAD_TYPES = new Set(["event", "security", "transaction"]);

/** The lane of one request's items (all of a request's items go to one lane). */
export function laneOf(items: { type: string; eventId: string }[]): number {
  if (items.some((i) => i.type === "span")) return 0;
  const item = items.find((i) => SPREAD_TYPES.has(i.type) && i.eventId);
  // Event ids are hex; anything else (NaN) goes to lane 0.
  return item ? Number.parseInt(item.eventId.slice(-6), 16) % PROJECT_LANES || 0 : 0;
}
