
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import vm from "node:vm";
import { Redis } from "ioredis";
import pg from "pg";
import { FilesystemBlobStore } from "../../lib/blobs/filesystem";
import { migrate } from "../../lib/migrate";
import { eventEnvelope } from "../support/envelopes";
import { type GeneratedApp, buildGeneratedApp } from "../support/generated-app";
import { ROOT, buildBundles, deleteKeys, dropDatabase, productionFlags } from "./build";
import { cleanups, log, mark, printRows, runBench } from "./harness";
import { Load } from "./load";
import type { PoolEntry } from "./payloads";
import { type Child, cpuSeconds, freePort, runningChildren, sleep, startNode, stopChild } from "./procs";

const { values: opts } = parseArgs({
  options: {
    n: { type: "string", default: "3000" },
    rounds: { type: "string", default: "3" },
    modules: { type: "string", default: "1000" },
    "pg-url": { type: "string", default: "postgresql://postgres@127.0.0.1:5432/postgres" },
    "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
  },
});
const N = Number(opts.n);
const ROUNDS = Number(opts.rounds);
const MODULES = Number(opts.modules);
const PREFIX = `smbench${process.pid}`;
const DB_NAME = `errorhub_smbench_${process.pid}`;
const URL_OF_BUNDLE = "https://shop.example.com/assets/app.js";
const THROW_SITES = 50;
const TARGET_RATIO = 0.7;

// ---------------------------------------------------------------------------------------------
// The app: tests/support/generated-app.ts.

type App = GeneratedApp;

async function buildApp(): Promise<App> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `smbench-app-${process.pid}-`));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return buildGeneratedApp(dir, MODULES);
}

/** Real V8 frames of a throw from section k, Sentry order (oldest first). */
function framesOf(context: vm.Context, k: number) {
  try {
    vm.runInContext(`runSection(${k})`, context, { filename: "inline.js" });
  } catch (error) {
    const frames = [];
    for (const line of String((error as Error).stack).split("\n")) {
      const match = /^\s+at (?:(.+?) \()?(.+):(\d+):(\d+)\)?$/.exec(line);
      if (!match || match[2] !== URL_OF_BUNDLE) continue;
      frames.push({
        filename: URL_OF_BUNDLE,
        abs_path: URL_OF_BUNDLE,
        function: match[1] ?? "?",
        lineno: Number(match[3]),
        colno: Number(match[4]),
        in_app: true,
      });
    }
    return { value: (error as Error).message, frames: frames.reverse() };
  }
  throw new Error(`section ${k} did not throw`);
}

/** Browser envelopes, one per throw site, with the debug image the SDK reports. */
function buildPool(app: App, publicKey: string, projectId: number, size: number): PoolEntry[] {
  const context = vm.createContext({});
  vm.runInContext(app.js, context, { filename: URL_OF_BUNDLE });
  const pool: PoolEntry[] = [];
  for (let i = 0; i < size; i++) {
    const { value, frames } = framesOf(context, (i * 7) % Math.min(THROW_SITES, MODULES));
    const event = {
      event_id: randomBytes(16).toString("hex"),
      timestamp: Date.now() / 1000,
      platform: "javascript",
      level: "error",
      release: "shop@1.0.0",
      environment: "production",
      sdk: { name: "sentry.javascript.browser", version: "11.17.0" },
      request: { url: "https://shop.example.com/checkout", headers: { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64)" } },
      user: { id: String(1000 + (i % 97)) },
      exception: { values: [{ type: "Error", value, mechanism: { type: "onerror", handled: false }, stacktrace: { frames } }] },
      debug_meta: { images: [{ type: "sourcemap", code_file: URL_OF_BUNDLE, debug_id: app.debugId }] },
    };
    const body = eventEnvelope(event as never, { dsn: `http://${publicKey}@127.0.0.1/${projectId}` });
    const idOffsets: number[] = [];
    for (let at = body.indexOf(event.event_id); at !== -1; at = body.indexOf(event.event_id, at + 1)) idOffsets.push(at);
    pool.push({ body, idOffsets });
  }
  return pool;
}

// ---------------------------------------------------------------------------------------------

type Tenant = { orgId: number; projectId: number; publicKey: string };

async function createTenant(db: pg.Client, label: string): Promise<Tenant> {
  const one = async (sql: string, values: unknown[]) => (await db.query<{ id: number }>(sql, values)).rows[0]!.id;
  const suffix = `${label}-${randomBytes(4).toString("hex")}`;
  const orgId = await one("insert into organizations (slug, name) values ($1, $2) returning id", [suffix, suffix]);
  const projectId = await one(
    "insert into projects (org_id, slug, name, platform) values ($1, $2, $2, 'javascript') returning id",
    [orgId, label],
  );
  const publicKey = randomBytes(16).toString("hex");
  await db.query("insert into project_keys (project_id, public_key, secret_key) values ($1, $2, $3)", [
    projectId,
    publicKey,
    randomBytes(16).toString("hex"),
  ]);
  return { orgId, projectId, publicKey };
}

/** The bundle's rows and blobs as the assembly job writes them (lib/artifacts/assemble-bundle.ts). */
async function storeBundle(db: pg.Client, blobs: FilesystemBlobStore, tenant: Tenant, app: App): Promise<void> {
  const js = Buffer.from(app.js);
  const bundle = (
    await db.query<{ id: number }>(
      `insert into artifact_bundles (org_id, bundle_id, checksum, size, file_count)
       values ($1, $2, $3, $4, 2) returning id`,
      [tenant.orgId, app.debugId, createHash("sha1").update(js).update(String(tenant.orgId)).digest("hex"), js.length + app.map.length],
    )
  ).rows[0]!.id;
  await db.query("insert into artifact_bundle_projects (bundle_id, project_id) values ($1, $2)", [bundle, tenant.projectId]);
  const files = [
    { url: "~/assets/app.js", type: "minified_source", data: js, headers: { sourcemap: "app.js.map", "debug-id": app.debugId } },
    { url: "~/assets/app.js.map", type: "source_map", data: app.map, headers: { "debug-id": app.debugId } },
  ];
  for (const [n, file] of files.entries()) {
    const blobKey = `artifacts/${tenant.orgId}/${bundle}/${n}`;
    await blobs.put(blobKey, file.data);
    await db.query(
      `insert into artifact_files (org_id, bundle_id, dist, url, type, debug_id, headers, blob_key, size, sha1)
       values ($1, $2, '', $3, $4, $5, $6, $7, $8, $9)`,
      [tenant.orgId, bundle, file.url, file.type, app.debugId, JSON.stringify(file.headers), blobKey, file.data.length, createHash("sha1").update(file.data).digest("hex")],
    );
  }
}

const countEvents = async (db: pg.Client, projectId: number) =>
  Number((await db.query<{ n: string }>("select count(*) as n from events where project_id = $1", [projectId])).rows[0]!.n);

async function waitForEvents(db: pg.Client, projectId: number, count: number, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await countEvents(db, projectId)) >= count) return;
    if (Date.now() > deadline) throw new Error(`project ${projectId}: fewer than ${count} events after ${timeoutMs} ms`);
    await sleep(5);
  }
}

/** The source-map thread's entry in package.json's build:workers (none before there was one). */
function threadEntries(): string[] {
  const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
  return (scripts["build:workers"] ?? "").split(/\s+/).filter((word) => word.startsWith("sourcemap-thread="));
}

// Preloaded into the worker: the largest gap between 1 ms timer ticks on its main thread. On
// SIGUSR2 it writes "<how many SIGUSR2 so far> <the gap since the previous one>" to
// LOOP_PROBE_FILE and starts over.
const LOOP_PROBE = `
import { writeFileSync } from "node:fs";
let last = performance.now();
let longest = 0;
let reads = 0;
setInterval(() => {
  const now = performance.now();
  longest = Math.max(longest, now - last);
  last = now;
}, 1).unref();
process.on("SIGUSR2", () => {
  const gap = Math.max(longest, performance.now() - last);
  longest = 0;
  writeFileSync(process.env.LOOP_PROBE_FILE, ++reads + " " + gap.toFixed(1));
});
`;

let probeReads = 0;
/** The worker's longest main-thread stall since the previous call (ms). */
async function longestStall(worker: Child, file: string): Promise<number> {
  const expected = ++probeReads;
  worker.proc.kill("SIGUSR2");
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [reads, gap] = (existsSync(file) ? readFileSync(file, "utf8") : "0 0").split(" ").map(Number);
    if (reads === expected) return gap!;
    if (Date.now() > deadline) throw new Error("the worker's loop probe did not answer");
    await sleep(5);
  }
}

async function main(): Promise<number> {
  const dbUrl = new URL(opts["pg-url"]);
  dbUrl.pathname = `/${DB_NAME}`;
  cleanups.push(() => dropDatabase(opts["pg-url"], DB_NAME));
  await migrate(dbUrl.href);
  const redis = new Redis(opts["redis-url"]);
  cleanups.push(async () => {
    await deleteKeys(redis, `${PREFIX}:*`);
    redis.disconnect();
  });
  const db = new pg.Client({ connectionString: dbUrl.href });
  await db.connect();
  cleanups.push(() => db.end());

  const app = await buildApp();
  log(`app: ${MODULES} modules, minified ${(app.js.length / 1e6).toFixed(2)} MB, map ${(app.map.length / 1e6).toFixed(2)} MB, debug id ${app.debugId}`);

  // The worker and ingest as `npm run build:workers` builds them, outside dist/ (other work in
  // this checkout may be using it); node_modules linked for the external packages.
  const outdir = mkdtempSync(path.join(os.tmpdir(), `smbench-dist-${process.pid}-`));
  cleanups.push(async () => rmSync(outdir, { recursive: true, force: true }));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(outdir, "node_modules"));
  await buildBundles(["workers/ingest.ts", "workers/worker.ts", ...threadEntries()], outdir, []);
  const probe = path.join(outdir, "loop-probe.mjs");
  writeFileSync(probe, LOOP_PROBE);
  const probeFile = path.join(outdir, "loop-probe.out");
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `smbench-data-${process.pid}-`));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const blobs = new FilesystemBlobStore(dataDir);

  const ingestPort = await freePort();
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: "production",
    DATABASE_URL: dbUrl.href,
    REDIS_URL: opts["redis-url"],
    REDIS_PREFIX: PREFIX,
    INGEST_PORT: String(ingestPort),
    LOG_LEVEL: "info",
    INGEST_LOG_SAMPLE_RATE: "0",
    AUTH_SECRET: randomBytes(32).toString("hex"),
    DATA_DIR: dataDir,
    DEFAULT_MONTHLY_ERROR_QUOTA: "0",
    SPIKE_PROTECTION_HOURLY_LIMIT: "0",
    APP_URL: "http://127.0.0.1:3000",
    DEMO_ACCOUNT: "off",
  };
  cleanups.push(async () => {
    await Promise.all(runningChildren().map((child) => stopChild(child)));
  });
  await startNode("ingest", [...productionFlags("ingest").split(/\s+/), path.join(outdir, "ingest.js")], {
    cwd: ROOT,
    env,
    ready: /ingest listening/,
  });
  const worker = await startNode("worker", [...productionFlags("worker").split(/\s+/), "--import", pathToFileURL(probe).href, path.join(outdir, "worker.js")], {
    cwd: ROOT,
    env: { ...env, LOOP_PROBE_FILE: probeFile },
    ready: /worker started/,
  });
  const ingestUrl = `http://127.0.0.1:${ingestPort}`;

  const symbolicated = await createTenant(db, "symbolicated");
  const plain = await createTenant(db, "plain");
  const cold = await createTenant(db, "cold");
  const coldPlain = await createTenant(db, "cold-plain");
  await storeBundle(db, blobs, symbolicated, app);
  await storeBundle(db, blobs, cold, app);

  // One load generator per tenant for the whole run: each stamps its events with ids it never sent before.
  const loads = new Map<Tenant, Load>();
  for (const tenant of [symbolicated, plain, cold, coldPlain])
    loads.set(tenant, new Load(buildPool(app, tenant.publicKey, tenant.projectId, 120), `/api/${tenant.projectId}/envelope/`, 16));
  const flood = async (tenant: Tenant, amount: number) => {
    const before = await countEvents(db, tenant.projectId);
    await longestStall(worker, probeFile); // from here on
    const cpuBefore = cpuSeconds(worker.pid)!;
    const started = performance.now();
    const result = await loads.get(tenant)!.run(ingestUrl, { amount });
    if (result.ok !== amount) throw new Error(`${amount - result.ok} of ${amount} sends failed: ${result.firstError ?? JSON.stringify(result.statusCodes)}`);
    await waitForEvents(db, tenant.projectId, before + amount);
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(worker.pid)! - cpuBefore;
    return { seconds, cpu, stallMs: await longestStall(worker, probeFile) };
  };

  // First events: a plain one, then one whose 5 MB map nobody has loaded yet, then the next.
  const firstPlain = await flood(coldPlain, 1);
  const firstCold = await flood(cold, 1);
  const firstWarm = await flood(cold, 1);
  log(
    `first event: plain ${(firstPlain.seconds * 1000).toFixed(0)} ms, cold 5 MB map ${(firstCold.seconds * 1000).toFixed(0)} ms, ` +
      `the next one (warm) ${(firstWarm.seconds * 1000).toFixed(0)} ms, send to stored row`,
  );
  log(
    `worker main thread's longest stall: plain ${firstPlain.stallMs.toFixed(1)} ms, cold 5 MB map ${firstCold.stallMs.toFixed(1)} ms, ` +
      `the next one (warm) ${firstWarm.stallMs.toFixed(1)} ms`,
  );
  const [stored] = (
    await db.query<{ payload: { exception: { values: { stacktrace: { frames: { function?: string; data?: object }[] } }[] } } }>(
      "select payload from events where project_id = $1 limit 1",
      [cold.projectId],
    )
  ).rows;
  const top = stored!.payload.exception.values[0]!.stacktrace.frames.at(-1)!;
  if (!(top.data as { symbolicated?: boolean } | undefined)?.symbolicated) throw new Error(`the cold event was not symbolicated: ${JSON.stringify(top)}`);
  log(`cold event's top frame: ${top.function}`);

  // warm-up of both paths (JIT, pools), not measured
  await flood(symbolicated, 500);
  await flood(plain, 500);

  const rows: string[][] = [["round", "kind", "events", "seconds", "events/s", "longest stall ms", "worker CPU ms/event"]];
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order: [string, Tenant][] =
      round % 2 === 1 ? [["plain", plain], ["symbolicated", symbolicated]] : [["symbolicated", symbolicated], ["plain", plain]];
    const cpu: Record<string, number> = {};
    for (const [kind, tenant] of order) {
      const result = await flood(tenant, N);
      cpu[kind] = (result.cpu * 1000) / N;
      rows.push([String(round), kind, String(N), result.seconds.toFixed(2), (N / result.seconds).toFixed(0), result.stallMs.toFixed(1), cpu[kind]!.toFixed(3)]);
    }
    ratios.push(cpu.plain! / cpu.symbolicated!);
  }
  console.log("");
  printRows(rows);
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  console.log("");
  console.log(`symbolicated / plain rate (worker CPU per event, per round): ${ratios.map((r) => r.toFixed(2)).join(", ")}; median ${median.toFixed(2)}`);
  console.log(`${mark(median >= TARGET_RATIO)} symbolicated rate >= ${TARGET_RATIO} of plain`);
  console.log(
    JSON.stringify({
      mapBytes: app.map.length,
      minifiedBytes: app.js.length,
      firstEventMs: { plain: firstPlain.seconds * 1000, coldMap: firstCold.seconds * 1000, warm: firstWarm.seconds * 1000 },
      mainThreadStallMs: { plain: firstPlain.stallMs, coldMap: firstCold.stallMs, warm: firstWarm.stallMs },
      ratios,
      median,
    }),
  );
  return 0;
}

await runBench(main);
