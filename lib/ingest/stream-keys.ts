import { redisKey } from "../redis";

// One Redis Stream of accepted items per project, plus a flag that is set while a drain job
// for the project is queued or running. The {p<id>} hash tag keeps a project's keys in one
// Redis Cluster slot.
export const projectStreamKey = (projectId: number) => redisKey(`{p${projectId}}`, "stream");
export const drainFlagKey = (projectId: number) => redisKey(`{p${projectId}}`, "drain");

/** Field names of a stream entry (short: they are repeated in every entry). */
export const STREAM_FIELDS = {
  type: "t",
  itemHeader: "h",
  payload: "p",
  eventId: "id",
  clientIp: "ip",
  receivedAt: "ts",
  envelopeHeader: "eh",
} as const;
