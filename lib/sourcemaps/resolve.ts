import { blobStore } from "../blobs";
import { logger } from "../logger";
import { ByteLru, TtlCache } from "./cache";
import { InvalidSourceMapError, type LoadedMap, MapTooLargeError } from "./loaded-map";
import { type ArtifactFileRow, type ReleaseUrl, unsafeFindArtifactFiles, unsafeTouchBundles } from "./lookup";
import { ParseThread, ParseThreadError } from "./parse-thread";
import type { EventError, FrameTarget, Resolution } from "./symbolicate";
import { candidateUrls, dataUrlBytes, resolveUrl, sourceMapReference } from "./urls";

/**
 * Finds and loads the source maps a batch's frames need: one lookup statement per batch for
 * every debug id and URL not already known (a second only for maps that release files name by
 * URL), blobs read once per file and parsed in a thread (parse-thread.ts), parsed maps kept in
 * a byte-bounded LRU. Whatever goes wrong becomes an event error on the frames concerned;
 * nothing here throws to the batch.
 *
 * Tenants (organizations: API tokens and artifact bundles are per organization, so a tenant
 * with many projects is still one) take turns in the thread's queue and may hold at most half
 * of the LRU: one tenant flooding cold or huge maps delays another's by at most one parse and
 * cannot evict all of its maps.
 */

export type Scope = { orgId: number; projectId: number };

/** Where a frame's map is: the files found (or why not), remembered for a short time. */
type Located =
  | { minified: ArtifactFileRow | null; map: ArtifactFileRow | null; inline: string | null; mapUrl: string; resolvedWith: "debug-id" | "release" }
  | { error: EventError };

// 192 MiB keeps over ten parsed large maps (a few releases of a large app; a 4.9 MB map with
// its 0.9 MB minified file weighs ~10 MB here) or hundreds of small ones, on top of the worker's ~150 MB.
export const MAP_CACHE_BYTES = 192 * 1024 * 1024;
// What one tenant's maps may hold of it; a map heavier than this is refused (js_too_large):
// kept nowhere, it would be parsed again for every batch.
export const MAP_CACHE_TENANT_BYTES = MAP_CACHE_BYTES / 2;
// A map past this is not parsed (js_too_large): its parse would take the thread for seconds.
export const MAX_MAP_BYTES = 40 * 1024 * 1024;
export const MAX_MINIFIED_BYTES = 20 * 1024 * 1024;
// Lookups (found and not found) are remembered this long: an upload applies to events that
// arrive after it, at the latest this much later.
export const LOOKUP_TTL_MS = 30_000;
// The whole lookup of a batch; what is not ready by then leaves its frames minified
// (js_fetch_timeout) and keeps loading for the batches after it.
export const RESOLVE_TIMEOUT_MS = 5_000;

// Parsing runs in a thread (parse-thread.ts). Its limits: the largest maps allowed take well
// under 30 s there; a 4.9 MB map with its 0.9 MB minified file needs a 64 MB heap (48 is too
// little), so the largest allowed (40 + 20 MB) should fit in 1 GB; a queue of cold maps this
// deep is minutes of work already. What a map may claim is bounded before it is decoded
// (bounds.ts: at most 2M lines and 6M segments, and no more than its minified file holds) and
// acorn stops at 4 MiB or 2M tokens (scopes.ts), so no map allowed costs the thread much more
// than a real one of its size; 8 waiting per tenant keeps one from filling the queue.
const parser = new ParseThread({
  timeoutMs: 60_000,
  maxQueued: 32,
  maxQueuedBytes: 256 * 1024 * 1024,
  maxQueuedPerTenant: 8,
  idleMs: 60_000,
  maxHeapMb: 2048,
});

const maps = new ByteLru<string, LoadedMap>(MAP_CACHE_BYTES, MAP_CACHE_TENANT_BYTES);
const located = new TtlCache<string, Located>(LOOKUP_TTL_MS, 50_000);
const loading = new Map<string, Promise<LoadedMap | EventError>>();
// A map that cannot load (not a map, too large, its blob gone) is not read and parsed again for
// every batch meanwhile; a passing failure (a blob store error, a full parse queue) is retried.
// Files never change once stored (a new upload is a new row), so the answer stays true; it is
// forgotten after a while only so that a change of these bounds applies without a restart.
const LASTING_FAILURES = new Set(["js_invalid_sourcemap", "js_too_large", "js_no_source"]);
export const FAILURE_TTL_MS = 10 * 60_000;
const failed = new TtlCache<string, EventError>(FAILURE_TTL_MS, 10_000);

/** For tests and the benchmark: a cold start. */
export function clearSourceMapCaches(): void {
  maps.clear();
  located.clear();
  loading.clear();
  failed.clear();
}

/** The LRU's bytes and maps (and one tenant's bytes), and the parse thread's work: maps answered and waiting. */
export function unsafeSourceMapCacheStats(orgId?: number): { bytes: number; maps: number; tenantBytes: number; parses: number; queued: number } {
  return {
    bytes: maps.bytes,
    maps: maps.size,
    tenantBytes: orgId === undefined ? 0 : maps.groupBytes(String(orgId)),
    parses: parser.answered,
    queued: parser.queued,
  };
}

const locationKey = (scope: Scope, target: FrameTarget, release: string | undefined, dist: string) =>
  target.debugId
    ? `${scope.projectId}\0d\0${target.debugId}`
    : `${scope.projectId}\0r\0${release ?? ""}\0${dist}\0${target.absPath}`;

export type EventKeys = { release?: string; dist?: string; targets: (FrameTarget | null)[][] };

/** One resolver per event of the batch, all answered from what one lookup found. */
export async function resolveBatch(
  scope: Scope,
  events: EventKeys[],
  timeoutMs = RESOLVE_TIMEOUT_MS,
): Promise<((target: FrameTarget) => Resolution)[]> {
  const answers = new Map<string, Resolution>();
  const work = resolveInto(scope, events, answers).catch((error) => {
    logger.warn({ err: error, projectId: scope.projectId }, "source map lookup failed");
    return error as Error;
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    work,
    new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return events.map(({ release, dist = "" }) => (target: FrameTarget) => {
    const key = locationKey(scope, target, release, dist);
    const answer = answers.get(key);
    if (answer) return answer;
    if (target.node) return { skip: true };
    if (outcome === "timeout") return { error: { type: "js_fetch_timeout", url: target.absPath } };
    if (outcome instanceof Error) return { error: { type: "fetch_generic_error", url: target.absPath } };
    return { error: { type: "js_no_source", url: target.absPath } };
  });
}

async function resolveInto(scope: Scope, events: EventKeys[], answers: Map<string, Resolution>): Promise<void> {
  // what is to be looked up: keys not remembered, with the frame that stands for each
  const unknown = new Map<string, { target: FrameTarget; release?: string; dist: string }>();
  const known = new Map<string, Located>();
  // a key only Node.js frames point to: a missing map is no news
  const nodeOnly = new Map<string, boolean>();
  for (const { release, dist = "", targets } of events) {
    for (const target of targets.flat()) {
      if (!target) continue;
      const key = locationKey(scope, target, release, dist);
      nodeOnly.set(key, (nodeOnly.get(key) ?? true) && target.node);
      if (known.has(key) || unknown.has(key)) continue;
      const remembered = located.get(key);
      if (remembered) known.set(key, remembered);
      else if (!target.debugId && !release) known.set(key, { error: { type: "js_no_source", url: target.absPath } });
      else unknown.set(key, { target, release, dist });
    }
  }
  if (unknown.size > 0) {
    for (const [key, location] of await locate(scope, [...unknown.values()], unknown)) {
      located.set(key, location);
      known.set(key, location);
    }
  }
  const bundles = new Set<number>();
  await Promise.all(
    [...known].map(async ([key, location]) => {
      if ("error" in location) {
        // Node.js frames are readable without maps: a missing one says nothing
        answers.set(key, nodeOnly.get(key) && location.error.type === "js_no_source" ? { skip: true } : location);
        return;
      }
      const loaded = await loadLocated(location, String(scope.orgId));
      if ("type" in loaded) {
        answers.set(key, { error: loaded });
        return;
      }
      for (const file of [location.minified, location.map]) if (file?.bundleId) bundles.add(file.bundleId);
      answers.set(key, { map: loaded, resolvedWith: location.resolvedWith });
    }),
  );
  if (bundles.size > 0)
    unsafeTouchBundles(bundles).catch((error) => logger.warn({ err: error }, "artifact bundle last_used_at not moved"));
}

type Wanted = { target: FrameTarget; release?: string; dist: string };

/** The files of each key: one statement for all, and one more for maps named by URL. */
async function locate(scope: Scope, wanted: Wanted[], keys: Map<string, Wanted>): Promise<Map<string, Located>> {
  const debugIds = [...new Set(wanted.flatMap((w) => (w.target.debugId ? [w.target.debugId] : [])))];
  const releaseUrls: ReleaseUrl[] = [];
  for (const w of wanted)
    if (!w.target.debugId && w.release)
      for (const url of candidateUrls(w.target.absPath)) releaseUrls.push({ release: w.release, dist: w.dist, url });
  const rows = await unsafeFindArtifactFiles(scope.orgId, scope.projectId, debugIds, releaseUrls);

  const result = new Map<string, Located>();
  const needMaps: { key: string; minified: ArtifactFileRow; urls: string[]; release: string; dist: string }[] = [];
  for (const [key, w] of keys) {
    const { target } = w;
    if (target.debugId) {
      // rows come newest first: the newest upload of a debug id wins
      const minified = rows.find((r) => r.debugId === target.debugId && r.type === "minified_source") ?? null;
      const map = rows.find((r) => r.debugId === target.debugId && r.type === "source_map") ?? null;
      if (map) result.set(key, { minified, map, inline: null, mapUrl: map.url, resolvedWith: "debug-id" });
      else if (minified) needMaps.push({ key, minified, urls: [], release: "", dist: "" });
      else result.set(key, { error: { type: "js_no_source", url: target.absPath } });
      continue;
    }
    const urls = candidateUrls(target.absPath);
    const minified =
      urls
        .map((url) => rows.find((r) => r.url === url && r.release === w.release && r.dist === w.dist && r.type !== "source_map"))
        .find((r) => r !== undefined) ?? null;
    if (!minified) {
      result.set(key, { error: { type: "js_no_source", url: target.absPath } });
      continue;
    }
    needMaps.push({ key, minified, urls: [], release: w.release!, dist: w.dist });
  }
  if (needMaps.length === 0) return result;

  // The minified file names its map (header or sourceMappingURL): read it to know which.
  const byUrl: ReleaseUrl[] = [];
  for (const need of needMaps) {
    const minified = await readText(need.minified.blobKey, need.minified.size, MAX_MINIFIED_BYTES);
    const reference = sourceMapReference(need.minified.headers, minified);
    if (!reference) {
      result.set(need.key, { error: { type: "js_no_source", url: need.minified.url } });
      continue;
    }
    if (reference.startsWith("data:")) {
      result.set(need.key, { minified: need.minified, map: null, inline: reference, mapUrl: need.minified.url, resolvedWith: need.release ? "release" : "debug-id" });
      continue;
    }
    const resolved = resolveUrl(need.minified.url, reference);
    if (!resolved || !need.release) {
      // a debug-id file without its map in the bundle: nothing else to look in
      result.set(need.key, { error: { type: "js_no_source", url: resolved ?? reference } });
      continue;
    }
    need.urls = [...new Set([resolved, ...candidateUrls(resolved)])];
    for (const url of need.urls) byUrl.push({ release: need.release, dist: need.dist, url });
  }
  const mapRows = byUrl.length > 0 ? await unsafeFindArtifactFiles(scope.orgId, scope.projectId, [], byUrl) : [];
  for (const need of needMaps) {
    if (result.has(need.key)) continue;
    const map =
      need.urls
        .map((url) => mapRows.find((r) => r.url === url && r.release === need.release && r.dist === need.dist))
        .find((r) => r !== undefined) ?? null;
    result.set(
      need.key,
      map
        ? { minified: need.minified, map, inline: null, mapUrl: map.url, resolvedWith: "release" }
        : { error: { type: "js_no_source", url: need.urls[0] } },
    );
  }
  return result;
}

type LocatedFiles = Exclude<Located, { error: EventError }>;

/** The parsed map of a location, from the LRU or its blobs; an EventError when it cannot be. */
async function loadLocated(location: LocatedFiles, tenant: string): Promise<LoadedMap | EventError> {
  const cacheKey = `${location.minified?.id ?? "-"}:${location.map?.id ?? "inline"}`;
  const cached = maps.get(cacheKey) ?? failed.get(cacheKey);
  if (cached) return cached;
  let pending = loading.get(cacheKey);
  if (!pending) {
    pending = load(location, tenant)
      .then((loaded): LoadedMap | EventError => {
        if (!("type" in loaded) && !maps.set(cacheKey, loaded, loaded.weight, tenant)) {
          logger.warn({ url: loaded.url, weight: loaded.weight }, "source map heavier than a tenant's share of the cache");
          loaded = { type: "js_too_large", url: loaded.url };
        }
        if ("type" in loaded) {
          if (LASTING_FAILURES.has(loaded.type)) failed.set(cacheKey, loaded);
          return loaded;
        }
        // what the map comes to hold later (remembered positions) is weighed too
        const map = loaded;
        map.onGrow = (bytes) => {
          map.weight += bytes;
          maps.resize(cacheKey, bytes);
        };
        return map;
      })
      .finally(() => loading.delete(cacheKey));
    loading.set(cacheKey, pending);
  }
  return pending;
}

async function load(location: LocatedFiles, tenant: string): Promise<LoadedMap | EventError> {
  const url = location.mapUrl;
  try {
    // without the minified file, frames are mapped but named by the map alone (no scopes)
    const minified = location.minified
      ? await readText(location.minified.blobKey, location.minified.size, MAX_MINIFIED_BYTES)
      : null;
    let bytes: Buffer | null;
    if (location.inline !== null) {
      bytes = dataUrlBytes(location.inline);
      if (!bytes) return { type: "js_invalid_sourcemap", url };
    } else {
      if (location.map!.size > MAX_MAP_BYTES) return { type: "js_too_large", url };
      bytes = await blobStore().get(location.map!.blobKey);
      if (!bytes) return { type: "js_no_source", url };
    }
    return await parser.parse(url, bytes, minified, tenant);
  } catch (error) {
    if (error instanceof InvalidSourceMapError) return { type: "js_invalid_sourcemap", url };
    if (error instanceof MapTooLargeError) return { type: "js_too_large", url };
    if (error instanceof ParseThreadError) {
      logger.warn({ err: error, url }, "source map not parsed");
      // past the thread's time or heap the map is too large for us; a full queue or a dead thread may pass
      if (error.reason === "timeout" || error.reason === "memory") return { type: "js_too_large", url };
      return { type: "fetch_generic_error", url };
    }
    logger.warn({ err: error, url }, "source map not loaded");
    return { type: "fetch_generic_error", url };
  }
}

/** A blob as text; null when it is missing or past `max` (then it is not read at all). */
async function readText(key: string, size: number, max: number): Promise<string | null> {
  if (size > max) return null;
  const bytes = await blobStore().get(key);
  return bytes ? bytes.toString("utf8") : null;
}
