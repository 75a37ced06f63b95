import { evaluateAlertRules } from "../alerts/evaluate";
import { enqueueAlertDeliveries } from "../alerts/enqueue";
import { type SqlTx, sqlTransaction } from "../db";
import { ServiceUnavailableError } from "../errors";
import { logger } from "../logger";
import { type DeadLetterFailure, recordDeadLetters } from "./dead-letters";
import { categoryOf } from "../protocol/rate-limits";
import { PROCESSING_ERROR, type PreparedBatch, prepareBatch, preparedFor } from "./prepare";
import { storeErrorEvents } from "./store-errors";
import { storeFeedback } from "../feedback/store-feedback";
import { storeCheckIns } from "../monitors/store-check-ins";
import { storeSessions } from "../sessions/store-sessions";
import { storePendingSpans } from "../performance/pending-spans";
import { storeTransactions } from "../performance/store-transactions";
import { storeAttachments, storeOutcomes } from "./store-other";
import { acknowledge, type Lane, parseStreamId, readBatch } from "./stream";

export type BatchResult = {
  entries: number;
  skipped: number;
  inserted: number;
  newIssues: number;
  /** the alert_deliveries rows this batch's firings inserted (queued once it committed) */
  alertDeliveries: string[];
  /** the read was cut by the entry or byte limit: the stream most likely has more */
  more: boolean;
};

// A batch stops at this many payload bytes as well as at its entry count: 500 events of 50 KB
// would hold the project's lock (and this worker's event loop) for seconds. Measured with
// 50 KB events, 2 MB -> 4 MB: 450-480 -> 512-538 events/s end to end; another tenant's event
// visible during such a flood within p99 627 -> 805-944 ms.
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

type Project = { id: number; orgId: number; scrubData: boolean; hasFirstEvent: boolean };
// Only the entries' ids outlive the read: the entries themselves are dropped once prepared.
type Batch = { ids: string[]; more: boolean; prepared: Promise<PreparedBatch> };

/**
 * Drains one lane of a project (see lib/ingest/stream-keys.ts) into Postgres, one transaction
 * per batch, acknowledging each batch after its commit.
 *
 * Every read of the stream happens while holding the lane's checkpoint row lock, pending
 * entries first, so two drains of one lane (a stalled job retried while the first still
 * runs) take batches strictly in stream order; entries at or before the checkpoint, committed
 * by an attempt that crashed before acknowledging, are skipped rather than stored twice.
 * Drains of different lanes run side by side: see store-errors.ts for how their transactions
 * keep out of each other's way.
 *
 * With `readAhead`, the transaction of one batch also reads the next (still under the lock)
 * and prepares it while the current batch's statements run, so the CPU work of normalizing
 * and grouping overlaps the database's work instead of adding to it.
 */
export class StreamDrain {
  private ahead: Batch | null = null;
  private averageBytes = 0;

  constructor(
    readonly lane: Lane,
    readonly maxEntries = 500,
  ) {}

  async next(options: { readAhead: boolean } = { readAhead: false }): Promise<BatchResult> {
    const ahead = this.ahead;
    this.ahead = null;
    // Generic plans: see sqlTransaction; the events insert carries megabytes of documents.
    const result = await sqlTransaction((tx) => this.storeNext(tx, ahead, options.readAhead), {
      genericPlans: true,
    }).catch((error) => {
      // The read-ahead entries stay pending in the stream; the next read takes them again.
      this.ahead = null;
      throw error;
    });
    // Only after the commit: a crash before this line leaves the batch pending, to be re-read
    // and skipped by the checkpoint.
    await acknowledge(this.lane, result.ids);
    const { alertDeliveries } = result.stored;
    // A delivery not queued stays pending, and the alerts sweeper queues it later.
    if (alertDeliveries.length > 0)
      await enqueueAlertDeliveries(alertDeliveries).catch((error) =>
        logger.error({ err: error, projectId: this.lane.projectId, deliveries: alertDeliveries.length }, "alert deliveries not queued"),
      );
    return { entries: result.ids.length, more: result.more, ...result.stored };
  }

  /** The batch transaction: reads (or takes the read-ahead batch), stores, moves the checkpoint. */
  private async storeNext(tx: SqlTx, ahead: Batch | null, readAhead: boolean) {
    const [project] = await tx.rows<Project>`
      select id, org_id as "orgId", scrub_data as "scrubData", first_event_at is not null as "hasFirstEvent"
      from projects where id = ${this.lane.projectId}`;
    // A deleted project's items have nowhere to go: they are only acknowledged.
    if (!project) return { ...(await this.read(null, "0")), stored: emptyCounts };
    const checkpoint = await lockCheckpoint(tx, this.lane);
    const batch = ahead ?? (await this.read(project, "0"));
    if (readAhead && batch.more) {
      this.ahead = await this.read(project, batch.ids.at(-1)!);
    }
    const fresh = batch.ids.filter((id) => isAfter(id, checkpoint));
    if (fresh.length === 0) return { ...batch, stored: emptyCounts };
    const prepared = preparedFor(await batch.prepared, new Set(fresh));
    const stored = await storeIsolatingFailures(tx, project, this.lane, prepared, fresh);
    const [lastMs, lastSeq] = parseStreamId(fresh.at(-1)!);
    await tx.run`
      update stream_checkpoints set last_ms = ${lastMs}, last_seq = ${lastSeq}
      where project_id = ${this.lane.projectId} and lane = ${this.lane.lane}`;
    return { ...batch, stored: { ...stored, skipped: batch.ids.length - fresh.length } };
  }

  /** Reads (the caller holds the checkpoint lock) and starts preparing the next batch. */
  private async read(project: Project | null, after: string): Promise<Batch> {
    const count = this.averageBytes > 0
      ? Math.max(1, Math.min(this.maxEntries, Math.floor(MAX_BATCH_BYTES / this.averageBytes)))
      : this.maxEntries;
    const read = await readBatch(this.lane, count, after);
    let bytes = 0;
    let kept = 0;
    while (kept < read.length && (kept === 0 || bytes + read[kept]!.payload.length <= MAX_BATCH_BYTES)) {
      bytes += read[kept]!.payload.length;
      kept++;
    }
    if (kept > 0) {
      const sample = bytes / kept;
      this.averageBytes = this.averageBytes === 0 ? sample : (this.averageBytes + sample) / 2;
    }
    // Entries beyond the byte limit stay pending: the next read (pending first) takes them.
    const entries = read.slice(0, kept);
    const prepared = project
      ? prepareBatch(entries, { scrub: project.scrubData, symbolicate: { orgId: project.orgId, projectId: project.id } })
      : Promise.resolve(emptyPrepared);
    // A transaction that fails before awaiting it must not leave an unhandled rejection.
    prepared.catch(() => {});
    return { ids: entries.map((e) => e.id), more: read.length === count || kept < read.length, prepared };
  }
}

/** One batch of a lane, without reading ahead (tests and one-off drains). */
export function drainBatch(lane: Lane, batchSize: number): Promise<BatchResult> {
  return new StreamDrain(lane, batchSize).next();
}

const emptyCounts = { skipped: 0, inserted: 0, newIssues: 0, alertDeliveries: [] as string[] };
type StoredCounts = { inserted: number; newIssues: number; alertDeliveries: string[] };
const emptyPrepared: PreparedBatch = { events: [], transactions: [], others: [], invalid: [], spans: [] };

async function lockCheckpoint(tx: SqlTx, { projectId, lane }: Lane): Promise<[bigint, bigint]> {
  await tx.run`
    insert into stream_checkpoints (project_id, lane, last_ms, last_seq) values (${projectId}, ${lane}, 0, 0)
    on conflict do nothing`;
  // bigint columns arrive from pg as strings
  const [row] = await tx.rows<{ last_ms: string; last_seq: string }>`
    select last_ms, last_seq from stream_checkpoints where project_id = ${projectId} and lane = ${lane} for update`;
  return [BigInt(row!.last_ms), BigInt(row!.last_seq)];
}

function isAfter(id: string, [lastMs, lastSeq]: [bigint, bigint]): boolean {
  const [ms, seq] = parseStreamId(id);
  return ms > lastMs || (ms === lastMs && seq > lastSeq);
}

/**
 * Stores a batch; when that fails, stores its halves, each under a savepoint, down to the
 * single items that fail even alone (an input validation missed). The others are stored, the
 * failed ones (and those prepare could not parse) go to the dead-letter store and are counted
 * as invalid outcomes, and the batch commits: one bad item must not roll back its batch again
 * and again, stalling the project.
 * Errors of the connection or the transaction itself (not of an item) fail the batch, to be
 * retried whole.
 */
async function storeIsolatingFailures(
  tx: SqlTx,
  project: Project,
  lane: Lane,
  prepared: PreparedBatch,
  ids: string[],
): Promise<StoredCounts> {
  const failures: DeadLetterFailure[] = [];
  const counts = await storePart(tx, project, prepared, ids, failures);
  if (failures.length > 0) {
    const invalid = failures.map((f) => ({ category: categoryOf(f.itemType), reason: PROCESSING_ERROR }));
    await storeOutcomes(tx, project, [], invalid, new Date());
  }
  // Items prepare could not parse were counted with the batch; they are kept all the same.
  const failed = new Set(failures.map((f) => f.entryId));
  for (const { entryId, type, eventId, error } of prepared.invalid)
    if (!failed.has(entryId)) failures.push({ entryId, itemType: type, eventId, error });
  if (failures.length > 0) await recordDeadLetters(tx, lane, failures);
  return counts;
}

async function storePart(
  tx: SqlTx,
  project: Project,
  prepared: PreparedBatch,
  ids: string[],
  failures: DeadLetterFailure[],
): Promise<StoredCounts> {
  await tx.run`savepoint store_part`;
  try {
    const counts = await storeBatch(tx, project, prepared);
    await tx.run`release savepoint store_part`;
    return counts;
  } catch (error) {
    if (!isItemError(error)) throw error;
    await tx.run`rollback to savepoint store_part`;
    await tx.run`release savepoint store_part`;
    if (ids.length === 1) {
      failures.push({ entryId: ids[0]!, ...describeItem(prepared, ids[0]!), error });
      return { inserted: 0, newIssues: 0, alertDeliveries: [] };
    }
    const halves = [ids.slice(0, Math.ceil(ids.length / 2)), ids.slice(Math.ceil(ids.length / 2))];
    const counts: StoredCounts = { inserted: 0, newIssues: 0, alertDeliveries: [] };
    for (const half of halves) {
      const stored = await storePart(tx, project, preparedFor(prepared, new Set(half)), half, failures);
      counts.inserted += stored.inserted;
      counts.newIssues += stored.newIssues;
      counts.alertDeliveries.push(...stored.alertDeliveries);
    }
    return counts;
  }
}

// SQLSTATE classes of a failed connection or transaction, not of the statement's data:
// connection exception, transaction rollback (deadlock, serialization), insufficient
// resources, operator intervention, system error, internal error.
const NOT_ITEM_ERROR = /^(08|40|53|57|58|XX)/;

function isItemError(error: unknown): boolean {
  if (error instanceof ServiceUnavailableError) return false;
  const code = (error as { code?: unknown })?.code;
  // pg's connection errors carry a Node code (ECONNRESET) or none and this message.
  if (typeof code === "string") return !NOT_ITEM_ERROR.test(code) && !code.startsWith("E");
  return !/connection/i.test(String((error as Error)?.message));
}

function describeItem(prepared: PreparedBatch, id: string): { itemType: string; eventId: string } {
  const event = prepared.events.find((e) => e.entryId === id);
  if (event) return { itemType: event.event.type === "csp" ? "security" : "event", eventId: event.event.eventId };
  if (prepared.spans.some((s) => s.entryId === id)) return { itemType: "span", eventId: "" };
  const transaction = prepared.transactions.find((t) => t.entryId === id);
  if (transaction) return { itemType: "transaction", eventId: transaction.columns.eventId };
  const other = prepared.others.find((o) => o.entryId === id);
  return { itemType: other?.type ?? "unknown", eventId: other?.entry.eventId ?? "" };
}

async function storeBatch(tx: SqlTx, project: Project, prepared: PreparedBatch): Promise<StoredCounts> {
  const ofType = (...types: string[]) => prepared.others.filter((o) => types.includes(o.type));
  const now = new Date();
  // Check-ins first: they lock monitor environments, which come before everything
  // storeErrorEvents locks (see lib/monitors/incidents.ts). Their monitors' failure events are
  // stored with the batch's events.
  const checkIns = await storeCheckIns(tx, project, ofType("check_in"));
  const errors = await storeErrorEvents(tx, project, [...prepared.events, ...checkIns.incidents.events()], now);
  // Right after the events: the issues' rows are locked and their facts fresh.
  const alertDeliveries = await evaluateAlertRules(tx, project, errors.issues, now);
  await checkIns.incidents.finish(tx, errors, now);
  // Before the transactions: segments take their children that came before them.
  const streamed = await storePendingSpans(tx, project.id, prepared.spans, prepared.transactions, now);
  const spans = await storeTransactions(tx, project.id, streamed.transactions);
  await storeSessions(tx, project, ofType("session", "sessions"));
  alertDeliveries.push(...(await storeFeedback(tx, project, ofType("feedback", "user_report"), now)));
  await storeAttachments(tx, project, ofType("attachment"));
  const droppedSpans = [...spans.map(({ reason, quantity }) => ({ category: "span", reason, quantity })), ...streamed.dropped];
  await storeOutcomes(tx, project, ofType("client_report"), [...prepared.invalid, ...checkIns.dropped, ...droppedSpans], now);
  return { inserted: errors.inserted, newIssues: errors.newIssues, alertDeliveries };
}
