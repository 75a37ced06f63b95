import { drainBatch } from "@/lib/events/process-batch";
import { finishDrain } from "@/lib/events/stream";
import { allLanes, laneOf } from "@/lib/ingest/stream-keys";
import { newEventId } from "./envelopes";

/** Drains every lane of a project in this process, as the drain jobs do, until all are empty. */
export async function drainAll(projectId: number): Promise<void> {
  for (const lane of allLanes) {
    for (;;) {
      const batch = await drainBatch({ projectId, lane }, 500);
      if (batch.entries === 0) break;
    }
    await finishDrain({ projectId, lane });
  }
}

/** An event id that ingest puts in this lane. */
export function eventIdInLane(lane: number): string {
  for (;;) {
    const eventId = newEventId();
    if (laneOf([{ type: "event", eventId }]) === lane) return eventId;
  }
}
