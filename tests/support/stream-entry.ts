import { entryMeta } from "@/lib/events/stream";
import { laneOf, projectStreamKey } from "@/lib/ingest/stream-keys";
import { redis } from "@/lib/redis";

/** An item in the project's stream as ingest queues it, received at `receivedAt` (the server's clock). */
export async function queueEntry(
  projectId: number,
  item: { type: string; eventId: string; payload: string; receivedAt?: number },
): Promise<void> {
  const { type, eventId } = item;
  const meta = entryMeta({ type, eventId, clientIp: "203.0.113.9", receivedAt: item.receivedAt ?? Date.now(), sentAt: undefined });
  await redis().xadd(projectStreamKey(projectId, laneOf([{ type, eventId }])), "*", "m", meta, "h", JSON.stringify({ type }), "p", item.payload);
}
