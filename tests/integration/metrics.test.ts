import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithProject } from "../support/factories";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { NODE, ROOT, WITH_TSX, freePort, start, waitForHttp, type Running } from "../support/processes";

// GET /_metrics of the three processes, each started as `npm start` starts it: Prometheus text
// for the right bearer token only, 404 (and for the worker, no port at all) without
// METRICS_TOKEN, and counters that move with the events ingest accepts and the worker stores.

const TOKEN = "metrics-test-token-0123456789abcdef";
const auth = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

/** The value of the series `name` whose labels include `labels` (summed when several match). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(match[3]);
  }
  return total;
}

async function scrape(url: string, token?: string): Promise<string> {
  const res = await fetch(url, { headers: auth(token) });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

async function expectRefused(url: string): Promise<void> {
  for (const headers of [{}, auth("wrong-token-wrong-token-wrong"), { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` }, auth(`${TOKEN}x`)]) {
    const res = await fetch(url, { headers });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toMatch(/process_|errorhub_/);
  }
}

const DEFAULT_METRICS = ["process_resident_memory_bytes", "process_cpu_seconds_total", "nodejs_eventloop_lag_seconds"];

describe("ingest and worker /_metrics with METRICS_TOKEN", () => {
  let ingest: Running;
  let worker: Running;
  let ingestBase: string;
  let workerBase: string;

  beforeAll(async () => {
    const [ingestPort, workerPort] = [await freePort(), await freePort()];
    ingestBase = `http://127.0.0.1:${ingestPort}`;
    workerBase = `http://127.0.0.1:${workerPort}`;
    ingest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(ingestPort), METRICS_TOKEN: TOKEN });
    worker = start(NODE, [...WITH_TSX, "workers/worker.ts"], { WORKER_METRICS_PORT: String(workerPort), METRICS_TOKEN: TOKEN });
    await Promise.all([ingest.waitFor(/ingest listening/), worker.waitFor(/worker started/)]);
  });

  afterAll(async () => {
    await Promise.all([ingest?.stop("SIGKILL"), worker?.stop("SIGKILL")]);
  });

  it("ingest counts requests by status class and items by category and outcome", async () => {
    const before = await scrape(`${ingestBase}/_metrics`);
    for (const name of [...DEFAULT_METRICS, "errorhub_ingest_requests_total", "errorhub_ingest_items_total"]) expect(before).toContain(`# TYPE ${name} `);
    expect(sample(before, "process_resident_memory_bytes", { process_kind: "ingest" })).toBeGreaterThan(0);

    // One event a minute for this key: the second is rate limited (429).
    const { project, key } = await createOrgWithProject({ rateLimit: { count: 1, window: 60 } });
    const send = () => fetch(`${ingestBase}/api/${project.id}/envelope/?sentry_key=${key.publicKey}`, { method: "POST", body: new Uint8Array(eventEnvelope(errorEvent())) });
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(429);
    expect((await fetch(`${ingestBase}/api/${project.id}/envelope/?sentry_key=${"0".repeat(32)}`, { method: "POST", body: "{}\n" })).status).toBe(401);

    const after = await scrape(`${ingestBase}/_metrics`);
    const delta = (name: string, labels: Record<string, string>) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta("errorhub_ingest_items_total", { category: "error", outcome: "accepted", process_kind: "ingest" })).toBe(1);
    expect(delta("errorhub_ingest_items_total", { category: "error", outcome: "rate_limited" })).toBe(1);
    // The two refused requests; the scrapes themselves are 2xx and counted as well.
    expect(delta("errorhub_ingest_requests_total", { status_class: "4xx" })).toBe(2);
    expect(delta("errorhub_ingest_requests_total", { status_class: "2xx" })).toBeGreaterThanOrEqual(2);
  });

  it("ingest refuses a missing or wrong token with 401", async () => {
    await expectRefused(`${ingestBase}/_metrics`);
  });

  it("the worker's counters move once events are processed, and queue depths are read at scrape time", async () => {
    // The event the test above let through is stored first: nothing waiting or running.
    const idle = async () => {
      const text = await scrape(`${workerBase}/_metrics`);
      return (sample(text, "errorhub_queue_jobs", { queue: "events", state: "waiting" }) ?? 1) + (sample(text, "errorhub_queue_jobs", { queue: "events", state: "active" }) ?? 1);
    };
    await expect.poll(idle, { timeout: 30_000, interval: 250 }).toBe(0);
    const before = await scrape(`${workerBase}/_metrics`);
    for (const name of [...DEFAULT_METRICS, "errorhub_worker_events_stored_total", "errorhub_worker_batches_total", "errorhub_worker_batch_duration_seconds", "errorhub_queue_jobs"]) {
      expect(before).toContain(`# TYPE ${name} `);
    }
    for (const queueName of ["events", "maintenance", "alerts", "artifacts"]) {
      for (const state of ["waiting", "active", "delayed", "failed"]) expect(sample(before, "errorhub_queue_jobs", { queue: queueName, state, process_kind: "worker" })).toBeGreaterThanOrEqual(0);
    }

    const { project, key } = await createOrgWithProject();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${ingestBase}/api/${project.id}/envelope/?sentry_key=${key.publicKey}`, { method: "POST", body: new Uint8Array(eventEnvelope(errorEvent())) });
      expect(res.status).toBe(200);
    }
    const stored = async () => {
      const text = await scrape(`${workerBase}/_metrics`);
      return (sample(text, "errorhub_worker_events_stored_total") ?? 0) - (sample(before, "errorhub_worker_events_stored_total") ?? 0);
    };
    await expect.poll(stored, { timeout: 30_000, interval: 250 }).toBe(5);
    const after = await scrape(`${workerBase}/_metrics`);
    const delta = (name: string, labels: Record<string, string> = {}) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta("errorhub_worker_batches_total")).toBeGreaterThanOrEqual(1);
    expect(delta("errorhub_worker_stream_entries_total")).toBe(5);
    expect(delta("errorhub_worker_batch_duration_seconds_count")).toBe(delta("errorhub_worker_batches_total"));
    expect(delta("errorhub_worker_jobs_total", { queue: "events", result: "completed" })).toBeGreaterThanOrEqual(1);
  });

  it("the worker refuses a missing or wrong token with 401, and answers other paths 404", async () => {
    await expectRefused(`${workerBase}/_metrics`);
    expect((await fetch(`${workerBase}/`, { headers: auth() })).status).toBe(404);
  });
});

describe("without METRICS_TOKEN", () => {
  it("ingest answers /_metrics 404 like any unknown path, and the worker opens no port", async () => {
    const [ingestPort, workerPort] = [await freePort(), await freePort()];
    const ingest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(ingestPort), METRICS_TOKEN: "" });
    const worker = start(NODE, [...WITH_TSX, "workers/worker.ts"], { WORKER_METRICS_PORT: String(workerPort), METRICS_TOKEN: "" });
    try {
      await Promise.all([ingest.waitFor(/ingest listening/), worker.waitFor(/worker started/)]);
      const res = await fetch(`http://127.0.0.1:${ingestPort}/_metrics`, { headers: auth() });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ detail: "not found" });
      await expect(fetch(`http://127.0.0.1:${workerPort}/_metrics`, { headers: auth() })).rejects.toThrow();
    } finally {
      await Promise.all([ingest.stop("SIGKILL"), worker.stop("SIGKILL")]);
    }
  });
});

// The web process as `npm start` runs it (workers/web.ts): its production build when that build
// has the /_metrics route, else Next.js in development mode (tests never build).
function webArgs(): string[] {
  const manifest = path.join(ROOT, ".next/app-path-routes-manifest.json");
  const built = existsSync(path.join(ROOT, ".next/BUILD_ID")) && existsSync(manifest) && readFileSync(manifest, "utf8").includes("%5Fmetrics");
  return [...WITH_TSX, "workers/web.ts", ...(built ? [] : ["--dev"])];
}

async function startWeb(env: Record<string, string>): Promise<{ web: Running; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const web = start(NODE, webArgs(), { PORT: String(port), APP_URL: base, ...env });
  await web.waitFor(/web listening/, 180_000);
  await waitForHttp(`${base}/_health/`, 180_000);
  return { web, base };
}

describe("web /_metrics", () => {
  let web: Running | undefined;
  afterAll(async () => {
    await web?.stop("SIGKILL");
  });

  it("answers the right token with process metrics and request counts, 401 otherwise", async () => {
    let base: string;
    ({ web, base } = await startWeb({ METRICS_TOKEN: TOKEN }));
    const text = await scrape(`${base}/_metrics`);
    for (const name of DEFAULT_METRICS) expect(sample(text, name, { process_kind: "web" })).toBeGreaterThanOrEqual(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    // The health checks before it were counted by workers/web.ts's server.
    expect(sample(text, "errorhub_web_requests_total", { status_class: "2xx", process_kind: "web" })).toBeGreaterThanOrEqual(1);
    await fetch(`${base}/_metrics`);
    await expectRefused(`${base}/_metrics`);
    const again = await scrape(`${base}/_metrics`);
    expect(sample(again, "errorhub_web_requests_total", { status_class: "4xx" })).toBeGreaterThanOrEqual(5);
  });

  it("answers 404 without METRICS_TOKEN", async () => {
    await web?.stop("SIGKILL");
    let base: string;
    ({ web, base } = await startWeb({ METRICS_TOKEN: "" }));
    const res = await fetch(`${base}/_metrics`, { headers: auth() });
    expect(res.status).toBe(404);
  });
});
