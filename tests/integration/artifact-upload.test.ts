// The blobs of this file's run live in a directory of their own, set before any import reads
// the environment (lib/env caches it on first use).
const { DATA_DIR } = await vi.hoisted(async () => {
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(`${tmpdir()}/errorhub-artifacts-`);
  process.env.DATA_DIR = dir;
  return { DATA_DIR: dir };
});

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deleteArtifactBundle, listArtifactBundles } from "@/lib/artifacts/bundles";
import { blobStore } from "@/lib/blobs";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { unsafeCreateApiToken } from "@/lib/tokens";
import { callApi, startApiServer } from "../support/api";
import { SYSB, zip } from "../support/bundles";
import { createOrgWithProject } from "../support/factories";
import { NODE, type Running, WITH_TSX, start } from "../support/processes";
import { SENTRY_CLI, SENTRY_CLI_V2 } from "../support/sentry-cli";

// Source-map uploads end to end: the real sentry-cli 3.x (npm @sentry/cli) against the REST
// routes served over HTTP, with the real worker process assembling bundles into the blob store.
// Then what bad clients send (raw HTTP), and two orgs that must not see into each other.

const CLI = SENTRY_CLI;
type Tenant = Awaited<ReturnType<typeof createOrgWithProject>> & { token: string };
let A: Tenant;
let B: Tenant;
let api: { url: string; close: () => Promise<void> };
let worker: Running;

async function tenant(): Promise<Tenant> {
  const t = await createOrgWithProject();
  const { token } = await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "ci", scopes: ["project:releases"] });
  return { ...t, token };
}

function sentryCli(t: Tenant, args: string[], cli = CLI): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      cli,
      args,
      {
        env: {
          NODE_ENV: "test",
          PATH: process.env.PATH ?? "",
          HOME: DATA_DIR,
          SENTRY_URL: api.url,
          SENTRY_AUTH_TOKEN: t.token,
          SENTRY_ORG: t.org.slug,
          SENTRY_PROJECT: t.project.slug,
          SENTRY_DISABLE_UPDATE_CHECK: "1",
          SENTRY_LOG_LEVEL: "warn",
        },
        timeout: 120_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** An esbuild bundle with a source map in a fresh directory; `marker` makes each build's bytes differ. */
async function buildApp(marker: string): Promise<string> {
  const dir = mkdtempSync(path.join(DATA_DIR, "app-"));
  writeFileSync(
    path.join(dir, "util.js"),
    `export function explode(reason) {\n  const detail = { reason, marker: ${JSON.stringify(marker)} };\n  throw new Error("boom: " + detail.reason);\n}\n`,
  );
  writeFileSync(path.join(dir, "main.js"), `import { explode } from "./util.js";\nexport function run() {\n  explode("because");\n}\nrun();\n`);
  await build({ entryPoints: [path.join(dir, "main.js")], bundle: true, minify: true, sourcemap: true, outdir: path.join(dir, "dist"), logLevel: "silent" });
  return path.join(dir, "dist");
}

async function until<T>(what: string, check: () => Promise<T | false | null | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sha1 = (data: Buffer) => createHash("sha1").update(data).digest("hex");

/** POSTs chunks as sentry-cli does (multipart, one part per chunk named by its sha1). */
async function postChunks(t: Tenant, parts: { data: Buffer; name?: string; gzip?: boolean }[], org = t.org.slug) {
  const form = new FormData();
  for (const part of parts) {
    const body = part.gzip ? gzipSync(part.data) : part.data;
    form.append(part.gzip ? "file_gzip" : "file", new Blob([new Uint8Array(body)]), part.name ?? sha1(part.data));
  }
  const response = await fetch(`${api.url}/api/0/organizations/${org}/chunk-upload/`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.token}` },
    body: form,
  });
  return { status: response.status, text: await response.text() };
}

async function assemble(t: Tenant, body: Record<string, unknown>, org = t.org.slug) {
  const reply = await callApi("POST", `/api/0/organizations/${org}/artifactbundle/assemble/`, { token: t.token, body });
  return { status: reply.status, body: reply.status === 200 ? reply.json() : reply.body };
}

/** Uploads `bundle` as one chunk and asks for its assembly until it settles; the final answer. */
async function uploadBundle(t: Tenant, bundle: Buffer, extra: Record<string, unknown> = {}) {
  expect((await postChunks(t, [{ data: bundle }])).status).toBe(200);
  const body = { checksum: sha1(bundle), chunks: [sha1(bundle)], projects: [t.project.slug], ...extra };
  return until("the assembly to settle", async () => {
    const reply = await assemble(t, body);
    return reply.body.state === "ok" || reply.body.state === "error" ? reply.body : false;
  });
}

const manifest = (files: Record<string, unknown>) => Buffer.from(JSON.stringify({ files }));

async function bundleCounts(orgId: number) {
  const [bundles, files] = await Promise.all([db().artifactBundle.count({ where: { orgId } }), db().artifactFile.count({ where: { orgId, bundleId: { not: null } } })]);
  return { bundles, files, blobs: blobsOf(`artifacts/${orgId}`).filter((key) => !key.includes("release-files")) };
}

function blobsOf(prefix: string): string[] {
  try {
    return readdirSync(path.join(DATA_DIR, "blobs", prefix), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(path.join(DATA_DIR, "blobs"), path.join(entry.parentPath, entry.name)));
  } catch {
    return [];
  }
}

beforeAll(async () => {
  expect(env().DATA_DIR).toBe(DATA_DIR);
  api = await startApiServer();
  worker = start(NODE, [...WITH_TSX, "workers/worker.ts"], { DATA_DIR });
  await worker.waitFor(/worker started/);
  A = await tenant();
  B = await tenant();
});

afterAll(async () => {
  await worker?.stop("SIGKILL");
  await api?.close();
});

describe("the real sentry-cli uploads debug-id bundles", () => {
  it("sentry-cli 2.58 (2.x, with a project set) creates, injects, uploads with --wait, finalizes and deploys", async () => {
    const C = await tenant();
    const version = `v2-${Date.now()}`;
    const dist = await buildApp("two");
    const steps = [
      ["releases", "new", version],
      ["sourcemaps", "inject", dist],
      ["sourcemaps", "upload", "--release", version, "--wait", dist],
      // 2.x finalizes through projects/{org}/{project}/releases/{version}/
      ["releases", "finalize", version],
      ["deploys", "new", "--release", version, "-e", "staging"],
    ];
    for (const args of steps) {
      const { code, out } = await sentryCli(C, args, SENTRY_CLI_V2);
      expect(code, `${args.join(" ")}: ${out}`).toBe(0);
    }
    const release = await db().release.findUniqueOrThrow({
      where: { orgId_version: { orgId: C.org.id, version } },
      select: { dateReleased: true, deploys: { select: { environment: true } }, projects: { select: { projectId: true } } },
    });
    expect(release.dateReleased).not.toBeNull();
    expect(release.deploys).toEqual([{ environment: "staging" }]);
    expect(release.projects).toEqual([{ projectId: C.project.id }]);
    const files = await db().artifactFile.findMany({ where: { orgId: C.org.id, release: version }, select: { url: true, type: true, debugId: true } });
    expect(files.map((f) => f.type).sort()).toEqual(["minified_source", "source_map"]);
    expect(files.every((f) => f.debugId !== null && f.debugId === files[0]!.debugId)).toBe(true);
  });

  it("chunk-upload announces what sentry-cli 3.x and 2.x read, on the origin the client reached", async () => {
    const reply = await fetch(`${api.url}/api/0/organizations/${A.org.slug}/chunk-upload/`, { headers: { authorization: `Bearer ${A.token}` } });
    expect(reply.status).toBe(200);
    const options = await reply.json();
    expect(options).toMatchObject({
      url: `${api.url}/api/0/organizations/${A.org.slug}/chunk-upload/`,
      chunkSize: 8_388_608,
      chunksPerRequest: 64,
      maxRequestSize: 33_554_432,
      hashAlgorithm: "sha1",
      concurrency: 8,
      compression: ["gzip"],
    });
    expect(options.accept).toEqual(expect.arrayContaining(["release_files", "artifact_bundles", "artifact_bundles_v2"]));
    expect(Math.log2(options.chunkSize) % 1).toBe(0);
  });

  it("inject, then upload without --wait; the worker assembles it; files carry the injected debug ids", async () => {
    const dist = await buildApp("first");
    const injected = await sentryCli(A, ["sourcemaps", "inject", dist]);
    expect(injected.code, injected.out).toBe(0);
    const js = readFileSync(path.join(dist, "main.js"), "utf8");
    const debugId = /\/\/# debugId=([0-9a-f-]{36})/.exec(js)?.[1];
    expect(debugId).toBeDefined();
    expect(JSON.parse(readFileSync(path.join(dist, "main.js.map"), "utf8")).debugId).toBe(debugId);

    const uploaded = await sentryCli(A, ["sourcemaps", "upload", "--release", "app@1.0.0", dist]);
    expect(uploaded.code, uploaded.out).toBe(0);
    expect(uploaded.out).toMatch(/Uploaded files to Sentry/);

    const bundle = await until("the bundle", () => db().artifactBundle.findFirst({ where: { orgId: A.org.id }, include: { files: true, projects: true } }));
    expect(bundle.release).toBe("app@1.0.0");
    expect(bundle.projects.map((p) => p.projectId)).toEqual([A.project.id]);
    const byType = Object.fromEntries(bundle.files.map((f) => [f.type, f]));
    expect(byType.minified_source).toMatchObject({ url: "~/main.js", debugId, release: "app@1.0.0", dist: "" });
    expect(byType.source_map).toMatchObject({ url: "~/main.js.map", debugId });
    // Each file's blob holds exactly the uploaded bytes.
    for (const file of bundle.files) {
      const data = await blobStore().get(file.blobKey);
      expect(data && sha1(data)).toBe(file.sha1);
    }
    expect((await blobStore().get(byType.minified_source!.blobKey))!.toString()).toBe(js);
    const release = await db().release.findUniqueOrThrow({ where: { orgId_version: { orgId: A.org.id, version: "app@1.0.0" } }, include: { projects: true } });
    expect(release.projects).toMatchObject([{ projectId: A.project.id, firstSeen: null, lastSeen: null }]);

    const listed = await listArtifactBundles({ userId: A.user.id, orgId: A.org.id, role: "owner" }, A.project.id);
    expect(listed).toMatchObject([{ id: bundle.id, release: "app@1.0.0", fileCount: 2, debugIds: [debugId] }]);
  });

  it("upload --wait waits for the assembly; the same upload again is done at once", async () => {
    const dist = await buildApp("second");
    expect((await sentryCli(A, ["sourcemaps", "inject", dist])).code).toBe(0);
    const waited = await sentryCli(A, ["sourcemaps", "upload", "--wait", "--release", "app@1.0.1", dist]);
    expect(waited.code, waited.out).toBe(0);
    expect(waited.out).toMatch(/File processing complete/);
    // --wait returned only once the bundle was stored: no polling needed here.
    expect(await db().artifactBundle.count({ where: { orgId: A.org.id, release: "app@1.0.1" } })).toBe(1);

    const started = Date.now();
    const again = await sentryCli(A, ["sourcemaps", "upload", "--wait", "--release", "app@1.0.1", dist]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/Nothing to upload, all files are on the server/);
    expect(again.out).toMatch(/File processing complete/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await db().artifactBundle.count({ where: { orgId: A.org.id, release: "app@1.0.1" } })).toBe(1);
  });
});

describe("bad uploads fail clearly and store nothing", () => {
  it("a chunk whose name is not its sha1 is a 400 with {error}", async () => {
    const reply = await postChunks(A, [{ data: Buffer.from("hello"), name: "0".repeat(40) }]);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).error).toMatch(/Checksum mismatch/);
    expect(await db().fileChunk.count({ where: { orgId: A.org.id, checksum: "0".repeat(40) } })).toBe(0);
  });

  it("a 40 MB chunk is a 400 naming the bound, not a 5xx", async () => {
    const reply = await postChunks(A, [{ data: Buffer.alloc(40 * 1024 * 1024, 1) }]);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).error).toMatch(/too large: at most \d+ bytes/);
  });

  it("a gzip bomb is refused at 8 MiB of output", async () => {
    const bomb = Buffer.alloc(200 * 1024 * 1024);
    const reply = await postChunks(A, [{ data: bomb, gzip: true }]);
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text).error).toMatch(/inflates to more than 8388608 bytes/);
  });

  it("a chunk never sent: not_found with missingChunks, and the CLI would upload it", async () => {
    const sent = Buffer.from("a chunk that was sent");
    const never = Buffer.from("a chunk that was never sent");
    expect((await postChunks(A, [{ data: sent }])).status).toBe(200);
    const reply = await assemble(A, { checksum: sha1(Buffer.concat([sent, never])), chunks: [sha1(sent), sha1(never)], projects: [A.project.slug] });
    expect(reply.body).toEqual({ state: "not_found", missingChunks: [sha1(never)] });
  });

  it("wrong checksum: the chunks do not make the bundle the request names", async () => {
    const before = await bundleCounts(A.org.id);
    const bundle = Buffer.concat([SYSB, zip([{ name: "manifest.json", data: manifest({}) }])]);
    expect((await postChunks(A, [{ data: bundle }])).status).toBe(200);
    const claimed = "f".repeat(40);
    await assemble(A, { checksum: claimed, chunks: [sha1(bundle)], projects: [A.project.slug] });
    const settled = await until("the error", async () => {
      const reply = await assemble(A, { checksum: claimed, chunks: [sha1(bundle)], projects: [A.project.slug] });
      return reply.body.state === "error" && reply.body;
    });
    expect(settled.detail).toMatch(/checksum mismatch/);
    expect(await bundleCounts(A.org.id)).toEqual(before);
  });

  it("a bundle that is not a ZIP ends in error with a detail the CLI prints; nothing is stored", async () => {
    const before = await bundleCounts(A.org.id);
    const notZip = await uploadBundle(A, Buffer.concat([SYSB, Buffer.from("this is not a zip archive at all")]));
    expect(notZip).toMatchObject({ state: "error", detail: "bundle is not a valid ZIP archive" });
    const noHeader = await uploadBundle(A, zip([{ name: "manifest.json", data: manifest({}) }]));
    expect(noHeader).toMatchObject({ state: "error", detail: "bundle is not an artifact bundle (no SYSB header)" });
    const noManifest = await uploadBundle(A, Buffer.concat([SYSB, zip([{ name: "files/_/_/a.js", data: Buffer.from("x") }])]));
    expect(noManifest).toMatchObject({ state: "error", detail: "bundle has no manifest.json" });
    expect(await bundleCounts(A.org.id)).toEqual(before);
  });

  it("zip bombs inside a bundle: an honest huge entry and one that lies about its size", async () => {
    const before = await bundleCounts(A.org.id);
    const zeros = Buffer.alloc(100 * 1024 * 1024);
    const files = { "files/_/_/a.js": { type: "minified_source", url: "~/a.js" } };
    const honest = await uploadBundle(A, Buffer.concat([SYSB, zip([{ name: "manifest.json", data: manifest(files) }, { name: "files/_/_/a.js", data: zeros }])]));
    expect(honest.state).toBe("error");
    expect(honest.detail).toMatch(/unpacks to 104857600 bytes; at most/);
    const liar = await uploadBundle(
      A,
      Buffer.concat([SYSB, zip([{ name: "manifest.json", data: manifest(files) }, { name: "files/_/_/a.js", data: zeros, declaredSize: 1000 }])]),
    );
    expect(liar.state).toBe("error");
    expect(liar.detail).toMatch(/cannot be read/);
    // The file written before the lie was found is gone with the rest.
    expect(await bundleCounts(A.org.id)).toEqual(before);
  });

  it("validation: dist without version, unknown projects, bad checksums are 400s", async () => {
    const base = { checksum: "a".repeat(40), chunks: ["a".repeat(40)], projects: [A.project.slug] };
    expect((await assemble(A, { ...base, dist: "1" })).status).toBe(400);
    expect((await assemble(A, { ...base, projects: ["no-such-project"] })).body).toMatch(/One or more projects are invalid/);
    expect((await assemble(A, { ...base, projects: [B.project.slug] })).status).toBe(400);
    expect((await assemble(A, { ...base, checksum: "../../etc" })).status).toBe(400);
    expect((await assemble(A, { ...base, chunks: ["zz"] })).status).toBe(400);
    expect((await callApi("POST", `/api/0/organizations/${A.org.slug}/artifactbundle/assemble/`, { token: A.token, rawBody: "{" })).status).toBe(400);
  });

  it("a manifest naming a file the archive lacks is an error", async () => {
    const bad = Buffer.concat([SYSB, zip([{ name: "manifest.json", data: manifest({ "files/_/_/gone.js": { type: "minified_source", url: "~/gone.js" } }) }])]);
    const answer = await uploadBundle(A, bad);
    expect(answer).toMatchObject({ state: "error", detail: "bundle manifest names files/_/_/gone.js, which the archive does not contain" });
  });

  it("sentry-cli prints the detail of a failed assembly and exits non-zero", async () => {
    // A chunk whose row survived its blob (a store that lost it): the server believes it has
    // the chunk, so the assembly itself must fail, and the CLI must say why.
    const t = await tenant();
    const dist = await buildApp("lost-chunk");
    expect((await sentryCli(t, ["sourcemaps", "inject", dist])).code).toBe(0);
    expect((await sentryCli(t, ["sourcemaps", "upload", "--wait", "--release", "r1", dist])).code).toBe(0);
    const bundle = await db().artifactBundle.findFirstOrThrow({ where: { orgId: t.org.id } });
    await deleteArtifactBundle({ userId: t.user.id, orgId: t.org.id, role: "owner" }, t.project.id, bundle.id);
    const chunks = await db().fileChunk.findMany({ where: { orgId: t.org.id } });
    await blobStore().delete(chunks.map((c) => `chunks/${t.org.id}/${c.checksum}`));
    const failed = await sentryCli(t, ["sourcemaps", "upload", "--wait", "--release", "r1", dist]);
    expect(failed.code).not.toBe(0);
    expect(failed.out).toMatch(/Failed to process uploaded files: chunk [0-9a-f]{40} is missing \(it may have expired\): upload the bundle again/);
    expect(await db().artifactBundle.count({ where: { orgId: t.org.id } })).toBe(0);
    expect(blobsOf(`artifacts/${t.org.id}`)).toEqual([]);
  });
});

describe("two orgs", () => {
  it("org B's token cannot upload into A, nor learn which chunks A has", async () => {
    const chunk = Buffer.from("A's secret chunk");
    expect((await postChunks(A, [{ data: chunk }])).status).toBe(200);
    expect((await postChunks(B, [{ data: chunk }], A.org.slug)).status).toBe(404);
    expect((await assemble(B, { checksum: sha1(chunk), chunks: [sha1(chunk)], projects: [A.project.slug] }, A.org.slug)).status).toBe(404);
    const options = await fetch(`${api.url}/api/0/organizations/${A.org.slug}/chunk-upload/`, { headers: { authorization: `Bearer ${B.token}` } });
    expect(options.status).toBe(404);
    // In its own org, B is told to send the chunk: A having it changes nothing.
    const own = await assemble(B, { checksum: sha1(chunk), chunks: [sha1(chunk)], projects: [B.project.slug] });
    expect(own.body).toEqual({ state: "not_found", missingChunks: [sha1(chunk)] });
    const cli = await sentryCli({ ...B, org: A.org, project: A.project }, ["sourcemaps", "upload", "--release", "x", await buildApp("intruder")]);
    expect(cli.code).not.toBe(0);
  });

  it("org B cannot list or delete A's bundles", async () => {
    const bundle = await db().artifactBundle.findFirstOrThrow({ where: { orgId: A.org.id } });
    const bViewer = { userId: B.user.id, orgId: B.org.id, role: "owner" as const };
    await expect(listArtifactBundles(bViewer, A.project.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(deleteArtifactBundle(bViewer, B.project.id, bundle.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(deleteArtifactBundle(bViewer, A.project.id, bundle.id)).rejects.toMatchObject({ code: "not_found" });
    const bundlesPath = (t: Tenant, project = t.project.slug) => `/api/0/projects/${t.org.slug}/${project}/files/artifact-bundles/`;
    expect((await callApi("GET", bundlesPath(A), { token: B.token })).status).toBe(404);
    expect((await callApi("DELETE", `${bundlesPath(A)}?bundleId=${bundle.bundleId}`, { token: B.token })).status).toBe(404);
    expect((await callApi("DELETE", `${bundlesPath(B)}?bundleId=${bundle.bundleId}`, { token: B.token })).status).toBe(404);
    const mine = await callApi("GET", bundlesPath(A), { token: A.token });
    expect(mine.json()).toContainEqual(expect.objectContaining({ bundleId: bundle.bundleId, fileCount: 2, associations: [{ release: bundle.release, dist: null }] }));
    expect((await callApi("GET", bundlesPath(B), { token: B.token })).json()).toEqual([]);
    expect(await db().artifactBundle.count({ where: { id: bundle.id } })).toBe(1);
  });

  it("A deletes its bundle: rows, assembly record and blobs go", async () => {
    const bundle = await db().artifactBundle.findFirstOrThrow({ where: { orgId: A.org.id, release: "app@1.0.1" } });
    expect(blobsOf(`artifacts/${A.org.id}/${bundle.id}`).length).toBe(2);
    const deleted = await callApi("DELETE", `/api/0/projects/${A.org.slug}/${A.project.slug}/files/artifact-bundles/?bundleId=${bundle.bundleId}`, { token: A.token });
    expect(deleted.status).toBe(204);
    expect(await db().artifactBundle.count({ where: { id: bundle.id } })).toBe(0);
    expect(await db().artifactFile.count({ where: { bundleId: bundle.id } })).toBe(0);
    expect(await db().bundleAssembly.count({ where: { orgId: A.org.id, checksum: bundle.checksum } })).toBe(0);
    expect(blobsOf(`artifacts/${A.org.id}/${bundle.id}`)).toEqual([]);
  });
});

describe("legacy release files", () => {
  const filesPath = (t: Tenant, version: string, org = t.org.slug, project = t.project.slug) =>
    `/api/0/projects/${org}/${project}/releases/${encodeURIComponent(version)}/files/`;

  async function uploadFile(t: Tenant, version: string, parts: { data: string | Buffer; name?: string; dist?: string; headers?: string[] }, token = t.token, org = t.org.slug) {
    const form = new FormData();
    form.append("file", new Blob([typeof parts.data === "string" ? parts.data : new Uint8Array(parts.data)]), "upload.bin");
    if (parts.name !== undefined) form.append("name", parts.name);
    if (parts.dist !== undefined) form.append("dist", parts.dist);
    for (const header of parts.headers ?? []) form.append("header", header);
    const response = await fetch(`${api.url}${filesPath(t, version, org)}`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
    const text = await response.text();
    return { status: response.status, body: text.startsWith("{") ? JSON.parse(text) : text };
  }

  it("round trip: upload, 409 on the same name and dist, list, get, download, delete", async () => {
    const version = "legacy@2.0.0+build.7";
    const debugId = "0b6e7e5a-51d1-4b1c-9f7e-1234567890ab";
    const js = `function a(){throw new Error("x")}a();\n//# sourceMappingURL=app.js.map\n//# debugId=${debugId}\n`;
    const map = JSON.stringify({ version: 3, sources: ["app.ts"], names: [], mappings: "AAAA", debugId });

    const created = await uploadFile(A, version, { data: js, name: "~/static/app.js", headers: ["Sourcemap: app.js.map"] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "~/static/app.js", dist: null, headers: { sourcemap: "app.js.map" }, size: Buffer.byteLength(js), sha1: sha1(Buffer.from(js)) });
    expect(created.body.id).toMatch(/^\d+$/);
    expect(new Date(created.body.dateCreated).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const mapped = await uploadFile(A, version, { data: map, name: "~/static/app.js.map", dist: "web" });
    expect(mapped.status).toBe(201);
    expect((await uploadFile(A, version, { data: "other bytes", name: "~/static/app.js" })).status).toBe(409);
    // The same name under another dist is another file.
    expect((await uploadFile(A, version, { data: js, name: "~/static/app.js", dist: "web" })).status).toBe(201);

    const rows = await db().artifactFile.findMany({ where: { orgId: A.org.id, bundleId: null, release: version }, orderBy: { id: "asc" } });
    expect(rows.map((r) => [r.url, r.dist, r.type, r.debugId, r.projectId])).toEqual([
      ["~/static/app.js", "", "minified_source", debugId, A.project.id],
      ["~/static/app.js.map", "web", "source_map", debugId, A.project.id],
      ["~/static/app.js", "web", "minified_source", debugId, A.project.id],
    ]);
    expect((await blobStore().get(rows[0]!.blobKey))!.toString()).toBe(js);
    expect(rows[0]!.blobKey).toBe(`artifacts/${A.org.id}/release-files/${rows[0]!.id}`);
    // Uploading made the release exist in the project, before any event.
    expect(await db().releaseProject.count({ where: { projectId: A.project.id, release: { version } } })).toBe(1);

    const list = await callApi("GET", filesPath(A, version), { token: A.token });
    expect(list.status).toBe(200);
    expect(list.json().map((f: { name: string }) => f.name)).toEqual(["~/static/app.js", "~/static/app.js.map", "~/static/app.js"]);
    expect(list.headers.get("link")).toMatch(/rel="next"; results="false"/);

    const one = await callApi("GET", `${filesPath(A, version)}${created.body.id}/`, { token: A.token });
    expect(one.json()).toEqual(created.body);
    const download = await callApi("GET", `${filesPath(A, version)}${created.body.id}/?download=1`, { token: A.token });
    expect(download.body).toBe(js);

    expect((await callApi("DELETE", `${filesPath(A, version)}${created.body.id}/`, { token: A.token })).status).toBe(204);
    expect((await callApi("GET", `${filesPath(A, version)}${created.body.id}/`, { token: A.token })).status).toBe(404);
    expect(await blobStore().get(rows[0]!.blobKey)).toBeNull();
  });

  it("bad input is a 400: no file, bad header, bad version, a file over the bound", async () => {
    const noFile = await fetch(`${api.url}${filesPath(A, "v1")}`, { method: "POST", headers: { authorization: `Bearer ${A.token}` }, body: new FormData() });
    expect(noFile.status).toBe(400);
    expect((await uploadFile(A, "v1", { data: "x", name: "~/a.js", headers: ["no colon here"] })).status).toBe(400);
    expect((await uploadFile(A, "a\tb", { data: "x", name: "~/a.js" })).status).toBe(400);
    expect((await uploadFile(A, "latest", { data: "x", name: "~/a.js" })).status).toBe(400);
    const huge = await uploadFile(A, "v1", { data: Buffer.alloc(33 * 1024 * 1024, 0x61), name: "~/big.js" });
    expect(huge.status).toBe(400);
    expect(huge.body.detail).toMatch(/too large/);
    expect((await callApi("GET", `${filesPath(A, "v1")}abc/`, { token: A.token })).status).toBe(404);
  });

  it("org B cannot upload into A's project, nor list, read or delete A's files", async () => {
    const version = "shared-name@1";
    const mine = await uploadFile(A, version, { data: "a()", name: "~/a.js" });
    expect(mine.status).toBe(201);
    expect((await uploadFile(A, version, { data: "b()", name: "~/b.js" }, B.token)).status).toBe(404);
    expect((await callApi("GET", filesPath(A, version), { token: B.token })).status).toBe(404);
    expect((await callApi("GET", `${filesPath(A, version)}${mine.body.id}/`, { token: B.token })).status).toBe(404);
    expect((await callApi("DELETE", `${filesPath(A, version)}${mine.body.id}/`, { token: B.token })).status).toBe(404);
    // B's own project, A's file id: still not found.
    await uploadFile(B, version, { data: "b()", name: "~/b.js" });
    expect((await callApi("GET", `${filesPath(B, version)}${mine.body.id}/`, { token: B.token })).status).toBe(404);
    expect((await callApi("DELETE", `${filesPath(B, version)}${mine.body.id}/`, { token: B.token })).status).toBe(404);
    expect(await db().artifactFile.count({ where: { id: BigInt(mine.body.id) } })).toBe(1);
  });
});

describe("retention", () => {
  it("removes bundles unused for 90 days and day-old chunks and assemblies, once, under two runs at the same time", async () => {
    const t = await tenant();
    const files = { "files/_/_/a.js": { type: "minified_source", url: "~/a.js", headers: { "debug-id": "7A1B9C53-0000-4000-8000-00000000000A" } } };
    const bundleOf = (text: string) => Buffer.concat([SYSB, zip([{ name: "manifest.json", data: manifest(files) }, { name: "files/_/_/a.js", data: Buffer.from(text) }])]);
    expect(await uploadBundle(t, bundleOf("old()"))).toMatchObject({ state: "ok" });
    expect(await uploadBundle(t, bundleOf("fresh()"))).toMatchObject({ state: "ok" });
    const [old, fresh] = await db().artifactBundle.findMany({ where: { orgId: t.org.id }, orderBy: { id: "asc" }, include: { files: true } });
    expect(fresh!.files[0]!.debugId).toBe("7a1b9c53-0000-4000-8000-00000000000a");
    const longAgo = new Date(Date.now() - 91 * 24 * 3600_000);
    await db().artifactBundle.update({ where: { id: old!.id }, data: { lastUsedAt: longAgo } });
    const [staleChunk] = await db().fileChunk.findMany({ where: { orgId: t.org.id }, take: 1 });
    await db().fileChunk.update({ where: { orgId_checksum: { orgId: t.org.id, checksum: staleChunk!.checksum } }, data: { createdAt: new Date(Date.now() - 25 * 3600_000) } });
    await db().bundleAssembly.updateMany({ where: { orgId: t.org.id, checksum: old!.checksum }, data: { updatedAt: new Date(Date.now() - 25 * 3600_000) } });

    const { unsafePruneArtifacts } = await import("@/lib/artifacts/prune");
    const runs = await Promise.all([unsafePruneArtifacts(), unsafePruneArtifacts()]);
    expect(runs.reduce((n, r) => n + r.bundles, 0)).toBeGreaterThanOrEqual(1);
    expect(await db().artifactBundle.findMany({ where: { orgId: t.org.id }, select: { id: true } })).toEqual([{ id: fresh!.id }]);
    expect(await db().artifactFile.count({ where: { bundleId: old!.id } })).toBe(0);
    expect(blobsOf(`artifacts/${t.org.id}/${old!.id}`)).toEqual([]);
    expect(blobsOf(`artifacts/${t.org.id}/${fresh!.id}`)).toHaveLength(1);
    expect(await db().fileChunk.count({ where: { orgId: t.org.id, checksum: staleChunk!.checksum } })).toBe(0);
    expect(await blobStore().get(`chunks/${t.org.id}/${staleChunk!.checksum}`)).toBeNull();
    expect(await db().fileChunk.count({ where: { orgId: t.org.id } })).toBe(1);
    expect(await db().bundleAssembly.count({ where: { orgId: t.org.id } })).toBe(1);
  });
});
