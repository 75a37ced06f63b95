import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
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

export type StreamItem = { type: string; header: Record<string, unknown>; payload: Buffer; eventId: string; clientIp: string; sentAt: string };

/** What ingest handed to a project's streams (all lanes), oldest first. */
export async function streamItems(projectId: number): Promise<StreamItem[]> {
  const lanes = await Promise.all(allLanes.map((lane) => redis().xrangeBuffer(projectStreamKey(projectId, lane), "-", "+")));
  const streamId = (id: Buffer) => id.toString().split("-").map(Number) as [number, number];
  const entries = lanes.flat().sort(([a], [b]) => {
    const [[aMs, aSeq], [bMs, bSeq]] = [streamId(a), streamId(b)];
    return aMs - bMs || aSeq - bSeq;
  });
  return entries.map(([, fields]) => {
    const map = new Map<string, Buffer>();
    for (let i = 0; i < fields.length; i += 2) map.set(fields[i]!.toString(), fields[i + 1]!);
    return {
      type: map.get("t")!.toString(),
      header: JSON.parse(map.get("h")!.toString()),
      payload: map.get("p")!,
      eventId: map.get("id")!.toString(),
      clientIp: map.get("ip")!.toString(),
      sentAt: map.get("sa")!.toString(),
    };
  });
}
