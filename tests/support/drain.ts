import { drainBatch } from "@/lib/events/process-batch";
import { finishDrain } from "@/lib/events/stream";

/** Drains a project's stream in this process, as the drain job does, until it is empty. */
export async function drainAll(projectId: number): Promise<void> {
  for (;;) {
    const batch = await drainBatch(projectId, 500);
    if (batch.entries === 0) break;
  }
  await finishDrain(projectId);
}
