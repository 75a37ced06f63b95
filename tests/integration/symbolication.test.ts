import { execFileSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import { build } from "esbuild";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { blobStore } from "@/lib/blobs";
import { db } from "@/lib/db";
import { clearSourceMapCaches } from "@/lib/sourcemaps";
import { unsafeCreateApiToken } from "@/lib/tokens";
import { callApi } from "../support/api";
import { drainAll } from "../support/drain";
import { eventEnvelope, newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { SENTRY_CLI } from "../support/sentry-cli";

// Minified JavaScript events through ingest and the drain, symbolicated with source maps stored
// as artifact bundles (rows and blobs as the assembly job writes them): a real app built by
// esbuild (--minify --sourcemap), debug ids injected by the real sentry-cli, run in V8 so the
// frames are the ones a browser reports.

const ORIGIN = "https://shop.example.com";

const APP: Record<string, string> = {
  "src/pricing.ts": `export function computeTotal(items: { price: number }[]): number {
  let total = 0;
  for (const item of items) total += item.price;
  if (total > 100) throw new Error("basket too expensive: " + total);
  return total;
}
`,
  "src/cart.ts": `import { computeTotal } from "./pricing";

export class ShoppingCart {
  private items: { price: number }[] = [];
  add(price: number) {
    this.items.push({ price });
  }
  checkout(): number {
    return computeTotal(this.items);
  }
}
`,
  "src/main.ts": `import { ShoppingCart } from "./cart";

const startCheckout = () => {
  const cart = new ShoppingCart();
  cart.add(60);
  cart.add(70);
  return cart.checkout();
};

(globalThis as any).startCheckout = startCheckout;
`,
};

type Built = { js: Buffer; map: Buffer; debugId: string | null; dir: string };
const dirs: string[] = [];

/**
 * Builds the app; `padding` adds unrelated code first, so the same functions get other
 * minified names (a new build of the same code).
 */
async function buildApp(options: { padding?: number; inject: boolean }): Promise<Built> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "symbolication-"));
  dirs.push(dir);
  const files = { ...APP };
  if (options.padding) {
    const helpers = Array.from({ length: options.padding }, (_, i) => `export function helper${i}(x: number) { return x * ${i + 2}; }`);
    files["src/padding.ts"] = helpers.join("\n");
    files["src/main.ts"] = `import * as padding from "./padding";\n(globalThis as any).padding = padding;\n${files["src/main.ts"]}`;
  }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  await build({
    entryPoints: [path.join(dir, "src/main.ts")],
    bundle: true,
    minify: true,
    sourcemap: true,
    outfile: path.join(dir, "assets/main.js"),
    logLevel: "silent",
  });
  if (options.inject) execFileSync(SENTRY_CLI, ["sourcemaps", "inject", path.join(dir, "assets")], { stdio: "ignore" });
  const map = readFileSync(path.join(dir, "assets/main.js.map"));
  const debugId = (JSON.parse(map.toString()) as { debugId?: string }).debugId ?? null;
  return { js: readFileSync(path.join(dir, "assets/main.js")), map, debugId, dir };
}

type Frame = { filename: string; abs_path: string; function: string; lineno: number; colno: number; in_app: boolean };

/** Runs the bundle in V8 as the page would load it from `url`, and returns the thrown error's frames, Sentry order. */
function crash(built: Built, url: string): { value: string; frames: Frame[] } {
  const context = vm.createContext({});
  vm.runInContext(built.js.toString(), context, { filename: url });
  try {
    vm.runInContext("startCheckout()", context, { filename: "inline-call.js" });
  } catch (error) {
    const frames: Frame[] = [];
    for (const line of String((error as Error).stack).split("\n")) {
      const match = /^\s+at (?:(.+?) \()?(.+):(\d+):(\d+)\)?$/.exec(line);
      if (!match || match[2] !== url) continue;
      const fn = match[1] ?? "?";
      frames.push({ filename: url, abs_path: url, function: fn, lineno: Number(match[3]), colno: Number(match[4]), in_app: true });
    }
    return { value: (error as Error).message, frames: frames.reverse() };
  }
  throw new Error("the app did not throw");
}

function browserEvent(built: Built, url: string, extra: Record<string, unknown> = {}) {
  const { value, frames } = crash(built, url);
  return {
    event_id: newEventId(),
    timestamp: Date.now() / 1000,
    platform: "javascript",
    level: "error",
    sdk: { name: "sentry.javascript.browser", version: "11.17.0" },
    exception: { values: [{ type: "Error", value, mechanism: { type: "onerror", handled: false }, stacktrace: { frames } }] },
    ...(built.debugId ? { debug_meta: { images: [{ type: "sourcemap", code_file: url, debug_id: built.debugId }] } } : {}),
    ...extra,
  };
}

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;

/**
 * Stores a bundle the way the assembly job does (lib/artifacts/assemble-bundle.ts): the bundle
 * row, its projects, one artifact_files row and blob per file.
 */
async function storeBundle(tenant: Tenant, built: Built, options: { release?: string; projectIds?: number[] } = {}) {
  const release = options.release ?? null;
  const bundle = await db().artifactBundle.create({
    data: {
      orgId: tenant.org.id,
      bundleId: built.debugId ?? randomUUID(),
      checksum: createHash("sha1").update(built.js).update(built.map).update(randomUUID()).digest("hex"),
      size: built.js.length + built.map.length,
      fileCount: 2,
      release,
      lastUsedAt: new Date(Date.now() - 3 * 24 * 3600_000),
    },
  });
  for (const projectId of options.projectIds ?? [tenant.project.id])
    await db().artifactBundleProject.create({ data: { bundleId: bundle.id, projectId } });
  const files: { url: string; type: string; data: Buffer; headers: Record<string, string> }[] = [
    { url: "~/assets/main.js", type: "minified_source", data: built.js, headers: { sourcemap: "main.js.map" } },
    { url: "~/assets/main.js.map", type: "source_map", data: built.map, headers: {} },
  ];
  for (const [n, file] of files.entries()) {
    const blobKey = `artifacts/${tenant.org.id}/${bundle.id}/${n}`;
    await blobStore().put(blobKey, file.data);
    const headers: Record<string, string> = built.debugId ? { ...file.headers, "debug-id": built.debugId } : file.headers;
    await db().artifactFile.create({
      data: {
        orgId: tenant.org.id,
        bundleId: bundle.id,
        release,
        dist: "",
        url: file.url,
        type: file.type,
        debugId: built.debugId,
        headers,
        blobKey,
        size: file.data.length,
        sha1: createHash("sha1").update(file.data).digest("hex"),
      },
    });
  }
  return bundle;
}

let ingest: Awaited<ReturnType<typeof startIngest>>;
let injected: Built;
let plain: Built;
beforeAll(async () => {
  ingest = await startIngest();
  [injected, plain] = await Promise.all([buildApp({ inject: true }), buildApp({ inject: false })]);
});
afterAll(async () => {
  await ingest.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
// Lookups are remembered for 30 s in the worker; each test starts as a fresh worker would.
beforeEach(() => clearSourceMapCaches());

async function sendEvents(tenant: Tenant, events: object[]) {
  for (const event of events) {
    const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, {
      body: eventEnvelope(event as never),
    });
    expect(res.status, res.body).toBe(200);
  }
  await drainAll(tenant.project.id);
}

type StoredFrame = Frame & { context_line?: string; pre_context?: string[]; post_context?: string[]; data?: Record<string, unknown> };
type StoredException = { stacktrace: { frames: StoredFrame[] }; raw_stacktrace?: { frames: StoredFrame[] } };

async function storedEvent(tenant: Tenant, eventId: string) {
  const row = await db().event.findFirstOrThrow({ where: { projectId: tenant.project.id, eventId } });
  return row as unknown as { issueId: number; payload: { exception: { values: StoredException[] }; errors?: Record<string, unknown>[] } };
}

const topFrame = (exception: StoredException) => exception.stacktrace.frames.at(-1)!;

describe("symbolication by debug id", () => {
  let tenant: Tenant;
  let eventId: string;
  beforeAll(async () => {
    tenant = await createOrgWithProject();
    await storeBundle(tenant, injected);
    const event = browserEvent(injected, `${ORIGIN}/assets/main.js`);
    eventId = event.event_id;
    await sendEvents(tenant, [event]);
  });

  it("stores the original file, function, line and context, and keeps the minified frames", async () => {
    const event = await storedEvent(tenant, eventId);
    const exception = event.payload.exception.values[0]!;
    const top = topFrame(exception);
    expect(top).toMatchObject({
      filename: "./src/pricing.ts",
      abs_path: "~/src/pricing.ts",
      function: "computeTotal",
      lineno: 4,
      context_line: '  if (total > 100) throw new Error("basket too expensive: " + total);',
      in_app: true,
      data: { sourcemap: "~/assets/main.js.map", symbolicated: true, resolved_with: "debug-id" },
    });
    expect(top.pre_context).toEqual([
      "export function computeTotal(items: { price: number }[]): number {",
      "  let total = 0;",
      "  for (const item of items) total += item.price;",
    ]);
    // the callers: a class method and an arrow function assigned to a const
    expect(exception.stacktrace.frames.map((f) => f.function)).toEqual(["startCheckout", "ShoppingCart.checkout", "computeTotal"]);
    expect(exception.stacktrace.frames.map((f) => f.filename)).toEqual(["./src/main.ts", "./src/cart.ts", "./src/pricing.ts"]);
    const raw = exception.raw_stacktrace!.frames;
    expect(raw).toHaveLength(3);
    expect(raw.at(-1)).toMatchObject({ abs_path: `${ORIGIN}/assets/main.js`, lineno: expect.any(Number) });
    expect(raw.at(-1)!.function).not.toBe("computeTotal");
    expect(event.payload.errors ?? []).toEqual([]);
  });

  it("groups by the original frames and titles the culprit with them", async () => {
    const event = await storedEvent(tenant, eventId);
    const issue = await db().issue.findUniqueOrThrow({ where: { id: event.issueId } });
    expect(issue.groupingVersion).toBe("v2");
    expect(issue.culprit).toBe("computeTotal(./src/pricing.ts)");
  });

  it("serves the original frames, rawStacktrace and frame data through the API", async () => {
    const { token } = await unsafeCreateApiToken({ userId: tenant.user.id, orgId: tenant.org.id, name: "t", scopes: ["event:read"] });
    const event = await storedEvent(tenant, eventId);
    const res = await callApi("GET", `/api/0/organizations/${tenant.org.slug}/issues/${event.issueId}/events/latest/`, { token });
    expect(res.status, res.body).toBe(200);
    const entry = res.json().entries.find((e: { type: string }) => e.type === "exception");
    const value = entry.data.values[0];
    expect(value.stacktrace.frames.at(-1)).toMatchObject({
      filename: "./src/pricing.ts",
      function: "computeTotal",
      lineNo: 4,
      data: { symbolicated: true, resolved_with: "debug-id" },
      context: expect.arrayContaining([[4, '  if (total > 100) throw new Error("basket too expensive: " + total);']]),
    });
    const raw = event.payload.exception.values[0]!.raw_stacktrace!.frames.at(-1)!;
    expect(value.rawStacktrace.frames.at(-1)).toMatchObject({
      absPath: `${ORIGIN}/assets/main.js`,
      lineNo: raw.lineno,
      colNo: raw.colno,
      function: raw.function,
    });
    expect(res.json().errors).toEqual([]);
  });

  it("marks the bundle used, so retention keeps it", async () => {
    const bundle = await db().artifactBundle.findFirstOrThrow({ where: { orgId: tenant.org.id } });
    expect(Date.now() - bundle.lastUsedAt.getTime()).toBeLessThan(60_000);
  });
});

describe("symbolication by release and URL", () => {
  it("finds the minified file by ~/path of the frame's URL and its map by the sourcemap header", async () => {
    const tenant = await createOrgWithProject();
    await storeBundle(tenant, plain, { release: "shop@2.0.0" });
    const event = browserEvent(plain, `${ORIGIN}/assets/main.js?v=7`, { release: "shop@2.0.0" });
    await sendEvents(tenant, [event]);
    const stored = await storedEvent(tenant, event.event_id);
    expect(topFrame(stored.payload.exception.values[0]!)).toMatchObject({
      filename: "./src/pricing.ts",
      function: "computeTotal",
      lineno: 4,
      data: { resolved_with: "release", sourcemap: "~/assets/main.js.map" },
    });
  });

  it("leaves frames of another release alone and says the source was not found", async () => {
    const tenant = await createOrgWithProject();
    await storeBundle(tenant, plain, { release: "shop@2.0.0" });
    const event = browserEvent(plain, `${ORIGIN}/assets/main.js`, { release: "shop@3.0.0" });
    await sendEvents(tenant, [event]);
    const stored = await storedEvent(tenant, event.event_id);
    const top = topFrame(stored.payload.exception.values[0]!);
    expect(top.abs_path).toBe(`${ORIGIN}/assets/main.js`);
    expect(top.data).toBeUndefined();
    expect(stored.payload.exception.values[0]!.raw_stacktrace).toBeUndefined();
    expect(stored.payload.errors).toEqual([{ type: "js_no_source", url: `${ORIGIN}/assets/main.js` }]);

    const { token } = await unsafeCreateApiToken({ userId: tenant.user.id, orgId: tenant.org.id, name: "t", scopes: ["event:read"] });
    const res = await callApi("GET", `/api/0/organizations/${tenant.org.slug}/issues/${stored.issueId}/events/latest/`, { token });
    expect(res.json().errors).toEqual([
      { type: "js_no_source", message: expect.stringContaining("not found"), data: { url: `${ORIGIN}/assets/main.js` } },
    ]);
  });

  it("says nothing about Node.js frames that point into no uploaded bundle", async () => {
    const tenant = await createOrgWithProject();
    const event = {
      event_id: newEventId(),
      platform: "node",
      release: "api@1.0.0",
      exception: {
        values: [
          {
            type: "Error",
            value: "boom",
            stacktrace: { frames: [{ filename: "/srv/app/server.js", abs_path: "/srv/app/server.js", function: "handle", lineno: 3, colno: 9 }] },
          },
        ],
      },
    };
    await sendEvents(tenant, [event]);
    const stored = await storedEvent(tenant, event.event_id);
    expect(topFrame(stored.payload.exception.values[0]!)).toMatchObject({ function: "handle", lineno: 3 });
    expect(stored.payload.errors).toBeUndefined();
  });

  it("records a broken map and keeps the frame as it was", async () => {
    const tenant = await createOrgWithProject();
    const broken: Built = { ...plain, map: Buffer.from('{"version":3,"sources":["a.js"],"mappings":') };
    await storeBundle(tenant, broken, { release: "shop@4.0.0" });
    const event = browserEvent(plain, `${ORIGIN}/assets/main.js`, { release: "shop@4.0.0" });
    await sendEvents(tenant, [event]);
    const stored = await storedEvent(tenant, event.event_id);
    expect(topFrame(stored.payload.exception.values[0]!).abs_path).toBe(`${ORIGIN}/assets/main.js`);
    expect(stored.payload.errors).toEqual([{ type: "js_invalid_sourcemap", url: "~/assets/main.js.map" }]);
  });
});

describe("tenant isolation", () => {
  it("never uses another org's or another project's bundle with the same debug id", async () => {
    const mine = await createOrgWithProject();
    const other = await createOrgWithProject();
    await storeBundle(other, injected);
    const sibling = await db().project.create({ data: { orgId: mine.org.id, slug: `sibling-${randomUUID().slice(0, 8)}`, name: "Sibling" } });
    await storeBundle(mine, injected, { projectIds: [sibling.id] });
    const event = browserEvent(injected, `${ORIGIN}/assets/main.js`);
    await sendEvents(mine, [event]);
    const stored = await storedEvent(mine, event.event_id);
    const top = topFrame(stored.payload.exception.values[0]!);
    expect(top.abs_path).toBe(`${ORIGIN}/assets/main.js`);
    expect(top.data).toBeUndefined();
    expect(stored.payload.errors).toEqual([{ type: "js_no_source", url: `${ORIGIN}/assets/main.js` }]);
  });
});

describe("grouping", () => {
  it("puts two builds of the same code (other minified names) in one issue, and keeps the issue the minified frames found", async () => {
    const tenant = await createOrgWithProject();
    const second = await buildApp({ padding: 40, inject: true });
    const url = `${ORIGIN}/assets/main.js`;
    const before = browserEvent(injected, url);
    const rawNames = (b: Built) => crash(b, url).frames.map((f) => f.function);
    expect(rawNames(second)).not.toEqual(rawNames(injected));

    // before any upload: grouped by the minified frames (v1)
    await sendEvents(tenant, [before]);
    const first = await storedEvent(tenant, before.event_id);
    expect((await db().issue.findUniqueOrThrow({ where: { id: first.issueId } })).groupingVersion).toBe("v1");

    // maps uploaded: the same build finds that issue by its raw hash, the new build by the original frames
    await storeBundle(tenant, injected);
    await storeBundle(tenant, second);
    clearSourceMapCaches(); // a worker 30 s later: the miss is forgotten
    const again = browserEvent(injected, url);
    const rebuilt = browserEvent(second, url);
    await sendEvents(tenant, [again]);
    await sendEvents(tenant, [rebuilt]);
    const issues = await db().issue.findMany({ where: { projectId: tenant.project.id } });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.timesSeen).toBe(3);
    const symbolicated = await storedEvent(tenant, rebuilt.event_id);
    expect(topFrame(symbolicated.payload.exception.values[0]!).function).toBe("computeTotal");
  });
});

describe("bounds", () => {
  it("leaves frames minified with js_fetch_timeout when the lookup takes longer than allowed", async () => {
    const { resolveBatch } = await import("@/lib/sourcemaps/resolve");
    const tenant = await createOrgWithProject();
    await storeBundle(tenant, injected);
    const target = { absPath: `${ORIGIN}/assets/main.js`, line: 3, column: 10, debugId: injected.debugId, node: false };
    const [resolve] = await resolveBatch({ orgId: tenant.org.id, projectId: tenant.project.id }, [{ targets: [[target]] }], 0);
    expect(resolve!(target)).toEqual({ error: { type: "js_fetch_timeout", url: `${ORIGIN}/assets/main.js` } });
  });

  it("adds no context and keeps no raw copy past the event's size budget, but still maps the frames", async () => {
    const tenant = await createOrgWithProject();
    await storeBundle(tenant, injected);
    // an event near the 1 MiB item limit leaves no room for what symbolication adds
    const event: ReturnType<typeof browserEvent> & { extra?: object } = browserEvent(injected, `${ORIGIN}/assets/main.js`);
    event.extra = { padding: "x".repeat(1024 * 1024 - JSON.stringify(event).length - 60) };
    await sendEvents(tenant, [event]);
    const stored = await storedEvent(tenant, event.event_id);
    const exception = stored.payload.exception.values[0]!;
    expect(topFrame(exception)).toMatchObject({ function: "computeTotal", filename: "./src/pricing.ts", lineno: 4 });
    expect(topFrame(exception).context_line).toBeUndefined();
    expect(exception.raw_stacktrace).toBeUndefined();
  });
});
