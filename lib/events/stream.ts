import { redis, scanKeys } from "../redis";
import { sanitizedJsonText } from "./sanitize";
import { drainFlagKey, projectStreamKey } from "../ingest/stream-keys";

// The worker side of the per-project streams ingest writes (see lib/ingest/accept-script.ts).

const GROUP = "drain";
// One consumer name for all workers: a lane is drained by one job at a time (its checkpoint
// row is locked for the batch), and a crashed job's batch is still pending under this name,
// so the next job re-reads it first instead of waiting for an idle timeout.
const CONSUMER = "drain";

/** One lane of a project: a stream with its own drain job and checkpoint. */
export type Lane = { projectId: number; lane: number };

export type StreamEntry = {
  id: string;
  type: string;
  /** The item header's JSON, parsed only where it is read (see itemHeaderOf). */
  itemHeader: Buffer;
  payload: Buffer;
  eventId: string;
  clientIp: string;
  receivedAt: Date;
  /** The envelope header's sent_at: all the worker reads of that header. */
  sentAt: string | undefined;
};

const groupsCreated = new Set<string>();

async function ensureGroup(key: string): Promise<void> {
  if (groupsCreated.has(key)) return;
  try {
    // From 0: entries added before the group existed are part of the first batch.
    await redis().xgroup("CREATE", key, GROUP, "0", "MKSTREAM");
  } catch (error) {
    if (!String((error as Error).message).includes("BUSYGROUP")) throw error;
  }
  groupsCreated.add(key);
}

/**
 * The next batch: entries already delivered but not acknowledged (a crashed job's batch, or
 * the rest of one cut short) after `after` first, in stream order, then new ones.
 */
export async function readBatch({ projectId, lane }: Lane, count: number, after = "0"): Promise<StreamEntry[]> {
  const key = projectStreamKey(projectId, lane);
  await ensureGroup(key);
  for (const from of [after, ">"]) {
    const result = (await redis().xreadgroupBuffer(
      "GROUP",
      GROUP,
      CONSUMER,
      "COUNT",
      count,
      "STREAMS",
      key,
      from,
    )) as [Buffer, [Buffer, Buffer[] | null][]][] | null;
    const all = result?.[0]?.[1] ?? [];
    // A pending entry whose data is gone (trimmed from the stream) can never be processed:
    // acknowledge it, or it would be re-read forever.
    const gone = all.filter(([, fields]) => fields === null).map(([id]) => id.toString());
    if (gone.length > 0) await redis().xack(key, GROUP, ...gone);
    const entries = all.filter(([, fields]) => fields !== null) as [Buffer, Buffer[]][];
    if (entries.length > 0) return entries.map(([id, fields]) => parseEntry(id.toString(), fields));
    if (gone.length > 0 && from !== ">") return readBatch({ projectId, lane }, count, after);
  }
  return [];
}

// The packed layout's field names, as bytes.
const [M, H, P] = [..."mhp"].map((c) => c.charCodeAt(0));

/**
 * An entry's fields: "m" (what ingest knows of the item, see entryMeta), "h" (item header) and
 * "p" (payload). Entries an older ingest wrote, still in a stream after an upgrade, carry
 * those facts as fields of their own, with the whole envelope header ("eh").
 */
export function parseEntry(id: string, fields: Buffer[]): StreamEntry {
  let meta: Buffer | undefined;
  let itemHeader: Buffer | undefined;
  let payload: Buffer | undefined;
  let legacy: Map<string, Buffer> | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    const value = fields[i + 1]!;
    // names compared as bytes: a string per field name and entry showed in profiles
    const single = name.length === 1 ? name[0] : undefined;
    if (single === M) meta = value;
    else if (single === H) itemHeader = value;
    else if (single === P) payload = value;
    else {
      legacy ??= new Map();
      legacy.set(name.toString(), value);
    }
  }
  itemHeader ??= Buffer.alloc(0);
  payload ??= Buffer.alloc(0);
  if (meta) return entryFromMeta(id, itemHeader, payload, meta.toString());
  const text = (name: string) => legacy?.get(name)?.toString() ?? "";
  return {
    id,
    itemHeader,
    payload,
    type: text("t"),
    eventId: text("id"),
    clientIp: text("ip"),
    receivedAt: new Date(Number(text("ts")) || Date.now()),
    sentAt: stringOrUndefined(parseObject(text("eh")).sent_at),
  };
}

/**
 * What ingest knows of an item besides its header and payload, as the one field "m": type,
 * event id, client IP, received at (epoch ms) and the envelope's sent_at, one per line, sent_at
 * last as the only one that could hold a line break. One field instead of five: each field
 * costs Redis, and the worker's Redis client, an allocation per entry.
 */
export function entryMeta(meta: {
  type: string;
  eventId: string;
  clientIp: string;
  /** epoch milliseconds */
  receivedAt: number;
  sentAt: string | undefined;
}): string {
  return `${meta.type}\n${meta.eventId}\n${meta.clientIp}\n${meta.receivedAt}\n${meta.sentAt ?? ""}`;
}

function entryFromMeta(id: string, itemHeader: Buffer, payload: Buffer, meta: string): StreamEntry {
  const parts: string[] = [];
  let from = 0;
  for (let i = 0; i < 4; i++) {
    const end = meta.indexOf("\n", from);
    parts.push(meta.slice(from, end === -1 ? meta.length : end));
    from = end === -1 ? meta.length : end + 1;
  }
  const sentAt = meta.slice(from);
  return {
    id,
    itemHeader,
    payload,
    type: parts[0]!,
    eventId: parts[1]!,
    clientIp: parts[2]!,
    receivedAt: new Date(Number(parts[3]) || Date.now()),
    sentAt: sentAt || undefined,
  };
}

/** The entry's item header; only attachments read theirs (file name, content type). */
export function itemHeaderOf(entry: StreamEntry): Record<string, unknown> {
  return parseObject(sanitizedJsonText(entry.itemHeader));
}

const stringOrUndefined = (value: unknown) => (typeof value === "string" ? value : undefined);

function parseObject(json: string): Record<string, unknown> {
  try {
    const value = JSON.parse(json);
    return typeof value === "object" && value !== null ? value : {};
  } catch {
    return {};
  }
}

/** After the batch's transaction committed: the entries are done, remove them. */
export async function acknowledge({ projectId, lane }: Lane, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const key = projectStreamKey(projectId, lane);
  await redis()
    .multi()
    .xack(key, GROUP, ...ids)
    .xdel(key, ...ids)
    .exec();
}

// Clears the drain flag only when the stream is empty, atomically with respect to ingest's
// XADD + SET NX: either ingest sees the flag gone and queues a job, or we see its entry.
const FINISH_LUA = `
if redis.call('XLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  return 0
end
return 1`;

/** True when the lane's stream still has entries, so the caller must queue another drain job. */
export async function finishDrain({ projectId, lane }: Lane): Promise<boolean> {
  const more = await redis().eval(FINISH_LUA, 2, projectStreamKey(projectId, lane), drainFlagKey(projectId, lane));
  return more === 1;
}

/** Parses a stream id "ms-seq" for ordering. */
export function parseStreamId(id: string): [bigint, bigint] {
  const [ms, seq] = id.split("-");
  return [BigInt(ms ?? 0), BigInt(seq ?? 0)];
}

/** Lanes whose stream has entries older than `olderThanMs`: their drain may be stuck. */
export async function lanesWithStaleEntries(olderThanMs: number, now = Date.now()): Promise<Lane[]> {
  const stale: Lane[] = [];
  // Lane 0's key is "…:{p<id>}:stream", the others' "…:{p<id>}:stream:<lane>".
  const pattern = `${projectStreamKey(0, 0).replace("{p0}", "{p*}")}*`;
  // Every node that holds data: a cluster's masters each hold some of the streams.
  await scanKeys(pattern, async (keys) => {
    for (const key of keys) {
      const match = /\{p(\d+)\}:stream(?::(\d+))?$/.exec(key);
      if (!match) continue;
      const [first] = await redis().xrange(key, "-", "+", "COUNT", 1);
      const lane = { projectId: Number(match[1]), lane: Number(match[2] ?? 0) };
      if (first && Number(first[0].split("-")[0]) < now - olderThanMs) stale.push(lane);
    }
  });
  return stale;
}
