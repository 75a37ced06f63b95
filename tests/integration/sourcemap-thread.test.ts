// The blobs of this file's run live in a directory of their own, set before any import reads
// the environment (lib/env caches it on first use); the bundled worker process gets the same.
const { DATA_DIR } = await vi.hoisted(async () => {
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(`${tmpdir()}/errorhub-smthread-`);
  process.env.DATA_DIR = dir;
  return { DATA_DIR: dir };
});

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { blobStore } from "@/lib/blobs";
import { db } from "@/lib/db";
import { clearSourceMapCaches, unsafeSourceMapCacheStats } from "@/lib/sourcemaps";
import {
  contextAround,
  enclosingFunctionName,
  InvalidSourceMapError,
  type LoadedMap,
  lineStarts,
  loadMap,
  MapTooLargeError,
  originalPosition,
  prepareScopes,
  sourceOf,
} from "@/lib/sourcemaps/loaded-map";
import { ParseThread, ParseThreadError, type ParseThreadOptions } from "@/lib/sourcemaps/parse-thread";
import { resolveBatch } from "@/lib/sourcemaps/resolve";
import type { FrameTarget } from "@/lib/sourcemaps/symbolicate";
import { eventEnvelope, newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { NODE, ROOT, type Running, start } from "../support/processes";
import { type GeneratedApp, buildGeneratedApp, moduleSource } from "../support/generated-app";

// Cold source maps are parsed in a worker thread (lib/sourcemaps/parse-thread.ts), so the
// worker's main thread keeps serving every other tenant meanwhile. A generated app the size of
// the benchmark's (1000 modules: a ~4.9 MB map, ~0.9 MB minified, debug id injected by the
// real sentry-cli), the thread's answers against the same parse on the main thread, its limits,
// the main thread's longest block while the cold map loads, and the esbuild bundle of the
// worker (what `npm start` runs) symbolicating through its own thread file.

const MODULES = 1000;
const THROW_SITES = 50;
const URL_OF_BUNDLE = "https://shop.example.com/assets/app.js";

/** The line of module i's source that throws. */
const throwLineOf = (i: number) => moduleSource(i).split("\n").find((line) => line.includes("over the limit"))!;

type App = GeneratedApp;
const scratch: string[] = [];

async function buildApp(): Promise<App> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "smthread-app-"));
  scratch.push(dir);
  return buildGeneratedApp(dir, MODULES);
}

type Frame = { filename: string; abs_path: string; function: string; lineno: number; colno: number; in_app: boolean };

/** The real V8 frames of each throw site (Sentry order, oldest first). */
function throwSites(app: App): { value: string; frames: Frame[] }[] {
  const context = vm.createContext({});
  vm.runInContext(app.js, context, { filename: URL_OF_BUNDLE });
  return Array.from({ length: THROW_SITES }, (_, k) => {
    try {
      vm.runInContext(`runSection(${k})`, context, { filename: "inline.js" });
    } catch (error) {
      const frames: Frame[] = [];
      for (const line of String((error as Error).stack).split("\n")) {
        const match = /^\s+at (?:(.+?) \()?(.+):(\d+):(\d+)\)?$/.exec(line);
        if (match?.[2] === URL_OF_BUNDLE)
          frames.push({ filename: URL_OF_BUNDLE, abs_path: URL_OF_BUNDLE, function: match[1] ?? "?", lineno: Number(match[3]), colno: Number(match[4]), in_app: true });
      }
      return { value: (error as Error).message, frames: frames.reverse() };
    }
    throw new Error(`section ${k} did not throw`);
  });
}

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;

/** The bundle's rows and blobs as the assembly job writes them (lib/artifacts/assemble-bundle.ts). */
async function storeBundle(tenant: Tenant, app: Omit<App, "dir">): Promise<void> {
  const js = Buffer.from(app.js);
  const checksum = createHash("sha1").update(js).update(app.map).update(String(tenant.org.id)).update(app.debugId).digest("hex");
  const bundle = await db().artifactBundle.create({
    data: { orgId: tenant.org.id, bundleId: app.debugId, checksum, size: js.length + app.map.length, fileCount: 2 },
  });
  await db().artifactBundleProject.create({ data: { bundleId: bundle.id, projectId: tenant.project.id } });
  const files = [
    { url: "~/assets/app.js", type: "minified_source", data: js, headers: { sourcemap: "app.js.map", "debug-id": app.debugId } },
    { url: "~/assets/app.js.map", type: "source_map", data: app.map, headers: { "debug-id": app.debugId } },
  ];
  for (const [n, file] of files.entries()) {
    const blobKey = `artifacts/${tenant.org.id}/${bundle.id}/${n}`;
    await blobStore().put(blobKey, file.data);
    await db().artifactFile.create({
      data: { orgId: tenant.org.id, bundleId: bundle.id, dist: "", url: file.url, type: file.type, debugId: app.debugId, headers: file.headers, blobKey, size: file.data.length, sha1: createHash("sha1").update(file.data).digest("hex") },
    });
  }
}

/** The main thread's longest stall (the largest gap between 1 ms timer ticks) until the returned function is called. */
function watchMainThread(): () => number {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return () => {
    clearInterval(timer);
    return Math.max(longest, performance.now() - last);
  };
}

/** Everything a frame is mapped to, as symbolicate.ts asks it. */
function answers(loaded: LoadedMap, frames: Frame[]) {
  return frames.map(({ lineno, colno }) => {
    const position = originalPosition(loaded, lineno, colno);
    if (!position) return null;
    const source = sourceOf(loaded, position.sourceIndex);
    return {
      position,
      url: source.url,
      function: enclosingFunctionName(loaded, lineno, colno),
      context: source.content === null ? null : contextAround(loaded, position.sourceIndex, source.content, position.line, position.column),
    };
  });
}

const defaults: ParseThreadOptions = { timeoutMs: 60_000, maxQueued: 8, maxQueuedBytes: 64 * 1024 * 1024, maxQueuedPerTenant: 8, idleMs: 60_000, maxHeapMb: 2048 };
const threads: ParseThread[] = [];
const newThread = (options: Partial<ParseThreadOptions> = {}) => {
  const thread = new ParseThread({ ...defaults, ...options });
  threads.push(thread);
  return thread;
};

let app: App;
let sites: { value: string; frames: Frame[] }[];
const smallMap = Buffer.from(JSON.stringify({ version: 3, sources: ["a.js"], sourcesContent: ["throw 1"], names: ["boom"], mappings: "AAAAA" }));

beforeAll(async () => {
  app = await buildApp();
  sites = throwSites(app);
}, 120_000);

afterAll(async () => {
  await Promise.all(threads.map((thread) => thread.close()));
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  rmSync(DATA_DIR, { recursive: true, force: true });
});

describe("the parse thread", () => {
  it("answers for every frame exactly what the same parse on the main thread answers", async () => {
    expect(app.map.length).toBeGreaterThan(4_500_000);
    const thread = newThread();
    const inThread = await thread.parse("~/assets/app.js.map", Buffer.from(app.map), app.js);
    const onMain = loadMap("~/assets/app.js.map", app.map, app.js);
    prepareScopes(onMain);
    expect(Buffer.from(inThread.map.segments.buffer).equals(Buffer.from(onMain.map.segments.buffer))).toBe(true);
    expect(inThread.map.lineOffsets).toEqual(onMain.map.lineOffsets);
    expect(inThread.map.names).toEqual(onMain.map.names);
    expect(inThread.map.sourcesContent).toEqual(onMain.map.sourcesContent);
    expect(inThread.scopes).toEqual(onMain.scopes);
    expect(inThread.weight).toBe(onMain.weight);
    // the line tables built with the map are the ones context was taken from before, and weighed
    const contents = inThread.map.sourcesContent!;
    contents.forEach((content, i) => {
      const { starts, offsets } = inThread.sourceLines;
      expect(starts.subarray(offsets[i]!, offsets[i + 1]!)).toEqual(lineStarts(content!));
    });
    expect(inThread.weight).toBeGreaterThan(inThread.sourceLines.starts.byteLength + app.js.length + app.map.length / 2);
    const frames = sites.flatMap((site) => site.frames);
    const fromThread = answers(inThread, frames);
    expect(fromThread).toEqual(answers(onMain, frames));
    // and they are the original code: the throw is in validateBasket<k>, from its own file
    const top = fromThread[sites[0]!.frames.length - 1]!;
    expect(top).toMatchObject({ url: "../src/section0.ts", function: "validateBasket0" });
    expect(top.context!.contextLine).toBe(throwLineOf(0));
  });

  it("refuses what is not a source map, and keeps serving on the same thread", async () => {
    const thread = newThread();
    await expect(thread.parse("~/x.map", Buffer.from("not json"), null)).rejects.toBeInstanceOf(InvalidSourceMapError);
    await expect(thread.parse("~/x.map", Buffer.from('{"version":3}'), null)).rejects.toBeInstanceOf(InvalidSourceMapError);
    expect((await thread.parse("~/a.js.map", smallMap, null)).map.names).toEqual(["boom"]);
    expect(thread.started).toBe(1);
  });

  it("gives up a parse that overruns its time, and the next map gets a new thread", async () => {
    const options = { ...defaults };
    const thread = new ParseThread(options); // the options object itself: its timeout changes below
    threads.push(thread);
    await thread.parse("~/a.js.map", smallMap, null); // the thread is up
    options.timeoutMs = 50; // the large map takes seconds
    const overrun = await thread.parse("~/app.js.map", Buffer.from(app.map), app.js).catch((error) => error);
    expect(overrun).toBeInstanceOf(ParseThreadError);
    expect(overrun.reason).toBe("timeout");
    options.timeoutMs = 60_000;
    expect((await thread.parse("~/a.js.map", smallMap, null)).map.names).toEqual(["boom"]);
    expect(thread.started).toBe(2);
  });

  it("a map past the thread's heap kills the thread, not this process; the next map gets a new one", async () => {
    const thread = newThread({ maxHeapMb: 24 });
    const overrun = await thread.parse("~/app.js.map", Buffer.from(app.map), app.js).catch((error) => error);
    expect(overrun).toBeInstanceOf(ParseThreadError);
    expect(overrun.reason).toBe("memory");
    expect((await thread.parse("~/a.js.map", smallMap, null)).map.names).toEqual(["boom"]);
    expect(thread.started).toBe(2);
  });

  it("refuses maps past its queue's bound instead of holding them", async () => {
    const thread = newThread({ maxQueued: 1 });
    const running = thread.parse("~/1.map", Buffer.from(app.map), app.js);
    const queued = thread.parse("~/2.map", smallMap, null);
    const refused = await thread.parse("~/3.map", smallMap, null).catch((error) => error);
    expect(refused).toBeInstanceOf(ParseThreadError);
    expect(refused.reason).toBe("busy");
    await Promise.all([running, queued]);
    // bounded in bytes too: one map running, one waiting, a third would pass the bound
    const bytesBound = newThread({ maxQueuedBytes: Math.ceil(app.map.length * 1.5) });
    const first = bytesBound.parse("~/1.map", Buffer.from(app.map), null);
    const second = bytesBound.parse("~/2.map", Buffer.from(app.map), null);
    const third = await bytesBound.parse("~/3.map", Buffer.from(app.map), null).catch((error) => error);
    expect(third.reason).toBe("busy");
    await Promise.all([first, second]);
  });

  it("refuses a map claiming an absurd extent before decoding it, in well under a second", async () => {
    const thread = newThread();
    await thread.parse("~/a.js.map", smallMap, null); // the thread is up
    const section = { offset: { line: 30_000_000, column: 0 }, map: JSON.parse(smallMap.toString()) };
    for (const [map, minified] of [
      [Buffer.from(JSON.stringify({ version: 3, sections: [section] })), app.js],
      [Buffer.from(JSON.stringify({ version: 3, sources: ["a.js"], names: [], mappings: ";".repeat(5_000_000) })), null],
    ] as const) {
      const started = performance.now();
      const refused = await thread.parse("~/app.js.map", map, minified).catch((error) => error);
      const ms = performance.now() - started;
      expect(refused).toBeInstanceOf(MapTooLargeError);
      expect(ms).toBeLessThan(1000);
    }
    expect(thread.started).toBe(1);
  });

  it("serves tenants in turn: one tenant's queued maps delay another's by one parse", async () => {
    const thread = newThread({ maxQueuedPerTenant: 3 });
    const done: string[] = [];
    const parse = (tenant: string, name: string, map: Buffer, minified: string | null) =>
      thread.parse(`~/${name}.map`, map, minified, tenant).then(() => done.push(name));
    const flood = [1, 2, 3, 4].map((n) => parse("a", `a${n}`, Buffer.from(app.map), app.js));
    // a1 is being parsed, a2-a4 wait: a fifth is past a's own bound, while b is still let in
    const refused = await thread.parse("~/a5.map", Buffer.from(app.map), app.js, "a").catch((error) => error);
    expect(refused).toBeInstanceOf(ParseThreadError);
    expect(refused.reason).toBe("busy");
    const mine = parse("b", "b1", Buffer.from(smallMap), null);
    await Promise.all([...flood, mine]);
    expect(done).toEqual(["a1", "b1", "a2", "a3", "a4"]);
  });

  it("stops when idle and starts again for the next map", async () => {
    const thread = newThread({ idleMs: 50 });
    await thread.parse("~/a.js.map", smallMap, null);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await thread.parse("~/a.js.map", smallMap, null);
    expect(thread.started).toBe(2);
  });

  it("takes over the bytes it is given when they own their memory, and copies a view into a larger buffer", async () => {
    const thread = newThread();
    const owned = new Uint8Array(smallMap);
    await thread.parse("~/a.js.map", owned, null);
    expect(owned.byteLength).toBe(0); // moved to the thread, not copied
    const larger = Buffer.concat([Buffer.from("xxxx"), smallMap]);
    const view = larger.subarray(4);
    await thread.parse("~/a.js.map", view, null);
    expect(view.equals(smallMap)).toBe(true);
  });
});

describe("the worker's main thread while a cold 5 MB map loads", () => {
  it("never stalls for long: decoding and acorn run in the thread", async () => {
    const tenant = await createOrgWithProject();
    await storeBundle(tenant, app);
    clearSourceMapCaches();
    const scope = { orgId: tenant.org.id, projectId: tenant.project.id };
    const targets: FrameTarget[][] = sites.map((site) =>
      site.frames.map((f) => ({ absPath: f.abs_path, line: f.lineno, column: f.colno, debugId: app.debugId, node: false })),
    );
    const stop = watchMainThread();
    const started = performance.now();
    const [resolve] = await resolveBatch(scope, [{ targets }], 60_000);
    const resolution = resolve!(targets[0]![0]!);
    if (!("map" in resolution)) throw new Error(`not loaded: ${JSON.stringify(resolution)}`);
    const mapped = answers(resolution.map, sites.flatMap((site) => site.frames));
    const loadMs = performance.now() - started;
    const longestGapMs = stop();
    console.log(
      `cold ${(app.map.length / 1e6).toFixed(1)} MB map + ${(app.js.length / 1e6).toFixed(1)} MB minified: loaded and ${mapped.length} frames mapped in ${loadMs.toFixed(0)} ms; ` +
        `main thread's longest stall ${longestGapMs.toFixed(1)} ms`,
    );
    expect(mapped.every((answer) => answer !== null)).toBe(true);
    // Decoding on this thread would stall it for most of the load (about 2 s here); 14 ms is
    // usual. A machine loaded by other work slows both, so the bound is 100 ms or a tenth of the
    // load, whichever is larger (one CI run saw 107 ms while benchmarks ran beside it).
    expect(longestGapMs).toBeLessThan(Math.max(100, loadMs / 10));
  });
});

describe("tenants sharing the worker's parse thread and cache", () => {
  const targetsOf = (debugId: string): FrameTarget[][] =>
    sites.slice(0, 3).map((site) => site.frames.map((f) => ({ absPath: f.abs_path, line: f.lineno, column: f.colno, debugId, node: false })));

  it("an organization flooding cold maps does not keep another's map waiting behind all of them", async () => {
    clearSourceMapCaches();
    const flooding = await createOrgWithProject();
    const other = await createOrgWithProject();
    const floodApps = Array.from({ length: 4 }, () => ({ ...app, debugId: crypto.randomUUID() }));
    for (const floodApp of floodApps) await storeBundle(flooding, floodApp);
    const otherApp = { ...app, debugId: crypto.randomUUID() };
    await storeBundle(other, otherApp);

    const started = performance.now();
    let floodDone = 0;
    const flood = resolveBatch(
      { orgId: flooding.org.id, projectId: flooding.project.id },
      floodApps.map((a) => ({ targets: targetsOf(a.debugId) })),
      120_000,
    ).then((resolvers) => {
      floodDone = performance.now() - started;
      return resolvers;
    });
    // the flood's maps are in the thread's queue before the other organization asks
    while (unsafeSourceMapCacheStats().queued < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    const [resolve] = await resolveBatch({ orgId: other.org.id, projectId: other.project.id }, [{ targets: targetsOf(otherApp.debugId) }], 120_000);
    const otherDone = performance.now() - started;
    const resolution = resolve!(targetsOf(otherApp.debugId)[0]![0]!);
    expect("map" in resolution).toBe(true);
    const floodResolvers = await flood;
    for (const [i, a] of floodApps.entries()) expect("map" in floodResolvers[i]!(targetsOf(a.debugId)[0]![0]!)).toBe(true);
    console.log(`4 cold 5 MB maps of one organization queued first: another's map loaded after ${otherDone.toFixed(0)} ms, the flood's last after ${floodDone.toFixed(0)} ms`);
    // first come, first served, it would have come after all four
    expect(otherDone).toBeLessThan(floodDone);
    // each organization holds its own maps in the cache; neither past half of it
    expect(unsafeSourceMapCacheStats(other.org.id).tenantBytes).toBeGreaterThan(app.map.length);
    expect(unsafeSourceMapCacheStats(flooding.org.id).tenantBytes).toBeGreaterThan(4 * app.map.length);
  }, 180_000);

  it("a map refused as too large is remembered: the next batches are answered without parsing it again", async () => {
    clearSourceMapCaches();
    const tenant = await createOrgWithProject();
    const section = { offset: { line: 30_000_000, column: 0 }, map: JSON.parse(smallMap.toString()) };
    const hostile = { js: app.js, map: Buffer.from(JSON.stringify({ version: 3, sections: [section] })), debugId: crypto.randomUUID() };
    await storeBundle(tenant, hostile);
    const scope = { orgId: tenant.org.id, projectId: tenant.project.id };
    const target: FrameTarget = { absPath: URL_OF_BUNDLE, line: 1, column: 10, debugId: hostile.debugId, node: false };
    const before = unsafeSourceMapCacheStats().parses;
    for (let batch = 0; batch < 3; batch++) {
      const started = performance.now();
      const [resolve] = await resolveBatch(scope, [{ targets: [[target]] }], 60_000);
      expect(resolve!(target)).toEqual({ error: { type: "js_too_large", url: "~/assets/app.js.map" } });
      expect(performance.now() - started).toBeLessThan(2000);
    }
    expect(unsafeSourceMapCacheStats().parses - before).toBe(1);
  });
});

describe("the esbuild bundle `npm start` runs", () => {
  let dir: string;
  let worker: Running | undefined;
  let ingest: Awaited<ReturnType<typeof startIngest>>;
  beforeAll(async () => {
    // the entries and flags of package.json's build:workers, into a scratch dir (dist/ is left alone)
    const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
    const words = scripts["build:workers"]!.split(/\s+/);
    dir = mkdtempSync(path.join(os.tmpdir(), "smthread-dist-"));
    scratch.push(dir);
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const args = [...words.slice(1).filter((w) => !w.startsWith("--outdir")), `--outdir=${dir}`];
    const built = spawnSync(path.join(ROOT, "node_modules/.bin/esbuild"), args, { cwd: ROOT, encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
    const flags = /\bnode\s+(.*?)\s*dist\/workers\//.exec(scripts["start:worker"]!)![1]!.split(/\s+/).filter(Boolean);
    worker = start(NODE, [...flags, path.join(dir, "worker.js")], { DATA_DIR, NODE_ENV: "production" });
    await worker.waitFor(/worker started/);
    ingest = await startIngest();
  }, 120_000);
  afterAll(async () => {
    await worker?.stop("SIGKILL");
    await ingest?.close();
  });

  it("symbolicates a browser event with a cold 5 MB map through dist's sourcemap-thread.js", async () => {
    const tenant = await createOrgWithProject();
    await storeBundle(tenant, app);
    const site = sites[7]!;
    const event = {
      event_id: newEventId(),
      timestamp: Date.now() / 1000,
      platform: "javascript",
      level: "error",
      exception: { values: [{ type: "Error", value: site.value, stacktrace: { frames: site.frames } }] },
      debug_meta: { images: [{ type: "sourcemap", code_file: URL_OF_BUNDLE, debug_id: app.debugId }] },
    };
    const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, { body: eventEnvelope(event as never) });
    expect(res.status, res.body).toBe(200);
    let row: { payload: unknown } | null = null;
    for (let i = 0; i < 600 && !row; i++) {
      row = await db().event.findFirst({ where: { projectId: tenant.project.id, eventId: event.event_id }, select: { payload: true } });
      if (!row) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(row, worker!.output()).not.toBeNull();
    const payload = row!.payload as { exception: { values: { stacktrace: { frames: Record<string, unknown>[] } }[] }; errors?: unknown[] };
    expect(payload.errors ?? []).toEqual([]);
    expect(payload.exception.values[0]!.stacktrace.frames.at(-1)).toMatchObject({
      filename: "./src/section7.ts",
      function: "validateBasket7",
      context_line: throwLineOf(7),
      data: { symbolicated: true, resolved_with: "debug-id" },
    });
  });
});
