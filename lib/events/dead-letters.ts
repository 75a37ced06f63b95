import { db, type SqlTx } from "../db";
import { AppError } from "../errors";
import { drainFlagKey, projectStreamKey } from "../ingest/stream-keys";
import { queue } from "../queues";
import { redis } from "../redis";
import type { Lane } from "./stream";

// Items the worker could not store even alone (process-batch.ts bisects them out of their
// batch) are kept as the stream entry ingest wrote, so the install's operator can see what
// failed and why, and retry it once the cause is fixed, or discard it. A hostile client can
// make many: each project keeps only its newest DEAD_LETTERS_KEPT within DEAD_LETTER_BYTES of
// payloads, pruned in the transaction that adds one (the rare path, never a batch's hot one).

export const DEAD_LETTERS_KEPT = 1000;
export const DEAD_LETTER_BYTES = 16 * 1024 * 1024;
/** A payload is kept up to this size; a longer one is cut, and can no longer be retried. */
export const DEAD_LETTER_PAYLOAD_MAX = 1024 * 1024;
const ERROR_MAX = 2000;

export type DeadLetterFailure = { entryId: string; itemType: string; eventId: string; error: unknown };

/**
 * Adds the failed items of a lane's batch to the dead-letter store, in the batch's transaction
 * (so they are kept exactly when the checkpoint moves past them). Their entries are read again
 * from the stream, where they stay until the batch is acknowledged.
 */
export async function recordDeadLetters(tx: SqlTx, lane: Lane, failures: DeadLetterFailure[]): Promise<void> {
  const key = projectStreamKey(lane.projectId, lane.lane);
  for (const failure of failures) {
    const read = await redis().xrangeBuffer(key, failure.entryId, failure.entryId);
    const fields = new Map<string, Buffer>();
    const raw = read[0]?.[1] ?? [];
    for (let i = 0; i + 1 < raw.length; i += 2) fields.set(raw[i]!.toString(), raw[i + 1]!);
    const payload = fields.get("p") ?? Buffer.alloc(0);
    await tx.run`
      insert into dead_letters (project_id, lane, stream_id, item_type, event_id, error, meta, item_header, payload, payload_size)
      values (${lane.projectId}, ${lane.lane}, ${failure.entryId}, ${failure.itemType}, ${failure.eventId},
              ${errorText(failure.error)}, ${withoutNul(fields.get("m")?.toString() ?? "")}, ${fields.get("h") ?? Buffer.alloc(0)},
              ${payload.subarray(0, DEAD_LETTER_PAYLOAD_MAX)}, ${payload.length})`;
  }
  await tx.run`
    delete from dead_letters where project_id = ${lane.projectId} and id in (
      select id from (
        select id, row_number() over w as n, sum(octet_length(payload)) over w as bytes
        from dead_letters where project_id = ${lane.projectId}
        window w as (order by id desc)
      ) newest_first
      where n > ${DEAD_LETTERS_KEPT} or bytes > ${DEAD_LETTER_BYTES})`;
}

const withoutNul = (text: string) => text.replaceAll("\u0000", "");

function errorText(error: unknown): string {
  const detail = (error as { detail?: unknown })?.detail; // Postgres' (pg's DatabaseError)
  const text =
    error instanceof Error ? `${error.message}${typeof detail === "string" ? ` (${detail})` : ""}` : String(error);
  return withoutNul(text).slice(0, ERROR_MAX);
}

export type DeadLetterSummary = {
  id: string;
  projectId: number;
  lane: number;
  streamId: string;
  itemType: string;
  eventId: string;
  error: string;
  payloadSize: number;
  createdAt: Date;
};

/** Dead letters of every project, or of one, newest first: for the install's operator only. */
export async function unsafeListDeadLetters(
  options: { projectId?: number; limit?: number } = {},
): Promise<DeadLetterSummary[]> {
  const rows = await db().deadLetter.findMany({
    where: options.projectId === undefined ? {} : { projectId: options.projectId },
    orderBy: { id: "desc" },
    take: Math.min(options.limit ?? 100, DEAD_LETTERS_KEPT),
    select: {
      id: true,
      projectId: true,
      lane: true,
      streamId: true,
      itemType: true,
      eventId: true,
      error: true,
      payloadSize: true,
      createdAt: true,
    },
  });
  return rows.map((row) => ({ ...row, id: row.id.toString() }));
}

/** Removes a dead letter for good: for the install's operator only. */
export async function unsafeDiscardDeadLetter(id: bigint): Promise<void> {
  const { count } = await db().deadLetter.deleteMany({ where: { id } });
  if (count === 0) throw new AppError("not_found", "no such dead letter");
}

/**
 * Puts a dead letter's entry back on its project's stream (as a new entry, as ingest would)
 * and removes it from the store: for the install's operator only, once the cause is fixed.
 */
export async function unsafeRetryDeadLetter(id: bigint): Promise<void> {
  const letter = await db().deadLetter.findUnique({ where: { id } });
  if (!letter) throw new AppError("not_found", "no such dead letter");
  if (letter.payload.length < letter.payloadSize)
    throw new AppError("bad_request", "its payload was cut when it was kept: it cannot be retried");
  const lane = { projectId: letter.projectId, lane: letter.lane };
  await redis().xadd(
    projectStreamKey(lane.projectId, lane.lane),
    "*",
    "m",
    letter.meta,
    "h",
    Buffer.from(letter.itemHeader),
    "p",
    Buffer.from(letter.payload),
  );
  // As ingest does: one drain job per lane while its flag is set.
  if (await redis().set(drainFlagKey(lane.projectId, lane.lane), "1", "NX")) await queue("events").add("drain", lane);
  await db().deadLetter.delete({ where: { id } });
}
