import { hostname } from "node:os";
import { logger } from "../logger";
import { redis, redisKey } from "../redis";
import type { ProcessFact } from "./types";
import { appVersion } from "./version";

// Each long-running process (web, ingest, worker) says it is alive every 10 s: a key of its own
// with a 30 s TTL, so a killed process disappears within 30 s, and its name in a set, which is
// the registry the console reads (no keyspace SCAN). Names whose key expired are removed from
// the set when it is read.

const EVERY_MS = 10_000;
const TTL_SECONDS = 30;
const registryKey = () => redisKey("operator", "processes");
const processKey = (name: string) => redisKey("operator", "process", name);

type Beat = { kind: ProcessFact["kind"]; host: string; pid: number; version: string; startedAt: number; rss: number; at: number };


/**
 * Starts this process's heartbeat; the returned function stops it and removes the key, so a
 * process that stops cleanly disappears at once. Failures (Redis away) are logged, never thrown.
 */
export function startHeartbeat(kind: ProcessFact["kind"]): () => Promise<void> {
  const host = hostname();
  const name = `${kind}:${host}:${process.pid}`;
  const startedAt = Date.now();
  const version = appVersion();
  const beat = async () => {
    const fact: Beat = { kind, host, pid: process.pid, version, startedAt, rss: process.memoryUsage.rss(), at: Date.now() };
    await redis()
      .multi()
      .set(processKey(name), JSON.stringify(fact), "EX", TTL_SECONDS)
      .sadd(registryKey(), name)
      .exec();
  };
  const safeBeat = () => beat().catch((error: unknown) => logger.warn({ err: String(error) }, "heartbeat failed"));
  void safeBeat();
  const timer = setInterval(safeBeat, EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await redis()
      .multi()
      .del(processKey(name))
      .srem(registryKey(), name)
      .exec()
      .catch(() => undefined);
  };
}

/** The processes alive (a heartbeat within 30 s), by kind, host and pid. */
export async function unsafeListProcesses(now = Date.now()): Promise<ProcessFact[]> {
  const names = await redis().smembers(registryKey());
  if (names.length === 0) return [];
  const values = await redis().mget(...names.map(processKey));
  const gone = names.filter((_, i) => values[i] === null);
  if (gone.length > 0) await redis().srem(registryKey(), ...gone);
  const facts: ProcessFact[] = [];
  for (const value of values) {
    if (value === null) continue;
    let beat: Beat;
    try {
      beat = JSON.parse(value) as Beat;
    } catch {
      continue;
    }
    facts.push({
      kind: beat.kind,
      host: beat.host,
      pid: beat.pid,
      version: beat.version,
      uptimeSeconds: Math.max(0, Math.round((now - beat.startedAt) / 1000)),
      rssBytes: beat.rss,
      lastSeenSeconds: Math.max(0, Math.round((now - beat.at) / 1000)),
    });
  }
  const order = { web: 0, ingest: 1, worker: 2 } as const;
  return facts.sort((a, b) => order[a.kind] - order[b.kind] || a.host.localeCompare(b.host) || a.pid - b.pid);
}
