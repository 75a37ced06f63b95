import { db } from "../db";
import { prepareBatch } from "./prepare";
import { storeErrorEvents } from "./store-errors";
import {
  storeAttachments,
  storeCheckIns,
  storeFeedback,
  storeOutcomes,
  storeSessions,
  storeTransactions,
} from "./store-other";
import { acknowledge, parseStreamId, readBatch } from "./stream";

export type BatchResult = { entries: number; skipped: number; inserted: number; newIssues: number };

/**
 * Reads and stores the next batch of a project's stream in one database transaction, then
 * acknowledges it. The batch is read while holding the project's checkpoint row lock, so two
 * drains of one project (a stalled job retried while the first still runs) take batches
 * strictly in stream order, and entries at or before the checkpoint, committed by an earlier
 * attempt that crashed before acknowledging, are skipped rather than stored twice.
 */
export async function drainBatch(projectId: number, batchSize: number): Promise<BatchResult> {
  const project = await db().project.findUnique({
    where: { id: projectId },
    select: { id: true, orgId: true, scrubData: true },
  });
  const result = await db().$transaction(
    async (tx) => {
      const entries = await (async () => {
        if (!project) return readBatch(projectId, batchSize);
        await tx.$executeRaw`insert into stream_checkpoints (project_id, last_ms, last_seq) values (${projectId}, 0, 0) on conflict do nothing`;
        await tx.$queryRaw`select 1 from stream_checkpoints where project_id = ${projectId} for update`;
        return readBatch(projectId, batchSize);
      })();
      const empty = {
        ids: entries.map((e) => e.id),
        entries: entries.length,
        skipped: entries.length,
        inserted: 0,
        newIssues: 0,
      };
      // A deleted project's items have nowhere to go: they are only acknowledged.
      if (!project || entries.length === 0) return empty;

      const [checkpoint] = await tx.$queryRaw<{ last_ms: bigint; last_seq: bigint }[]>`
        select last_ms, last_seq from stream_checkpoints where project_id = ${projectId}`;
      const fresh = entries.filter((e) => {
        const [ms, seq] = parseStreamId(e.id);
        return ms > checkpoint!.last_ms || (ms === checkpoint!.last_ms && seq > checkpoint!.last_seq);
      });
      if (fresh.length === 0) return empty;

      const prepared = prepareBatch(fresh, { scrub: project.scrubData });
      const ofType = (...types: string[]) => prepared.others.filter((o) => types.includes(o.type));
      const now = new Date();
      const errors = await storeErrorEvents(tx, project, prepared.events, now);
      await storeTransactions(tx, project, prepared.transactions);
      await storeSessions(tx, project, ofType("session", "sessions"));
      await storeCheckIns(tx, project, ofType("check_in"));
      await storeFeedback(tx, project, ofType("feedback", "user_report"));
      await storeAttachments(tx, project, ofType("attachment"));
      await storeOutcomes(tx, project, ofType("client_report"), prepared.invalid, now);

      const [lastMs, lastSeq] = parseStreamId(fresh.at(-1)!.id);
      await tx.$executeRaw`update stream_checkpoints set last_ms = ${lastMs}, last_seq = ${lastSeq} where project_id = ${projectId}`;
      return { ...empty, skipped: entries.length - fresh.length, ...errors };
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
  // Only after the commit: a crash before this line leaves the batch pending, to be re-read
  // and skipped by the checkpoint.
  await acknowledge(projectId, result.ids);
  const { ids: _, ...counts } = result;
  return counts;
}
