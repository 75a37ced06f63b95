import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { itemHeaderOf, parseEntry, parseStreamId } from "@/lib/events/stream";
import { createIngestServer } from "@/lib/ingest/server";
import { allLanes, projectStreamKey } from "@/lib/ingest/stream-keys";
import { redis } from "@/lib/redis";

/** The ingest server, in this process, on a free port. */
export async function startIngest(): Promise<{ server: Server; base: string; close: () => Promise<void> }> {
  const server = createIngestServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type StreamItem = { type: string; header: Record<string, unknown>; payload: Buffer; eventId: string; clientIp: string; sentAt: string | undefined };

/** What ingest handed to a project's streams (all lanes), oldest first. */
export async function streamItems(projectId: number): Promise<StreamItem[]> {
  const lanes = await Promise.all(allLanes.map((lane) => redis().xrangeBuffer(projectStreamKey(projectId, lane), "-", "+")));
  const entries = lanes.flat().map(([id, fields]) => parseEntry(id.toString(), fields));
  entries.sort((a, b) => {
    const [[aMs, aSeq], [bMs, bSeq]] = [parseStreamId(a.id), parseStreamId(b.id)];
    return aMs < bMs ? -1 : aMs > bMs ? 1 : Number(aSeq - bSeq);
  });
  return entries.map((entry) => ({
    type: entry.type,
    header: itemHeaderOf(entry),
    payload: entry.payload,
    eventId: entry.eventId,
    clientIp: entry.clientIp,
    sentAt: entry.sentAt,
  }));
}
