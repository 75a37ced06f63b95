// The blobs of this file's run live in a directory of their own, set before any import reads
// the environment (lib/env caches it on first use).
const { DATA_DIR } = await vi.hoisted(async () => {
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(`${tmpdir()}/errorhub-hostile-`);
  process.env.DATA_DIR = dir;
  return { DATA_DIR: dir };
});

import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ASSEMBLE_BUNDLE_JOB } from "@/lib/artifacts/assemble-queue";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { queue } from "@/lib/queues";
import { unsafeCreateApiToken } from "@/lib/tokens";
import { assembleArtifactBundleJob } from "@/workers/processors/assemble-artifact-bundle";
import { callApi, startApiServer } from "../support/api";
import { SYSB, bundleOf, zip } from "../support/bundles";
import { createOrgWithProject } from "../support/factories";

// Everything a token holder can send to the upload and release endpoints, sent on purpose
// wrong: each case must end in a clear 4xx (or an assembly `error` with a detail), never a 5xx,
// a hang, unbounded memory or another org's data. Bundles are assembled in this process by the
// worker's own job definition, from the job the assemble endpoint queued.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>> & { token: string };
let A: Tenant;
let B: Tenant;
let api: { url: string; close: () => Promise<void> };

async function tenant(): Promise<Tenant> {
  const t = await createOrgWithProject();
  const { token } = await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "ci", scopes: ["project:releases"] });
  return { ...t, token };
}

beforeAll(async () => {
  expect(env().DATA_DIR).toBe(DATA_DIR);
  api = await startApiServer();
  A = await tenant();
  B = await tenant();
  // the release most cases below address
  const created = await callApi("POST", `/api/0/organizations/${A.org.slug}/releases/`, { token: A.token, body: { version: "ok@1.0.0", projects: [A.project.slug] } });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await api?.close();
});

const sha1 = (data: Buffer | string) => createHash("sha1").update(data).digest("hex");
const enc = encodeURIComponent;

/** A raw HTTP request to the API server (multipart and other bodies callApi cannot send). */
async function send(t: Tenant, method: string, pathname: string, body?: BodyInit, headers: Record<string, string> = {}) {
  const response = await fetch(`${api.url}${pathname}`, { method, headers: { authorization: `Bearer ${t.token}`, ...headers }, body });
  return { status: response.status, text: await response.text() };
}

/** A multipart body written by hand, so part headers can be anything. */
function multipart(parts: { name: string; filename?: string; data: Buffer | string }[], boundary = "hostileboundary") {
  const pieces: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? "" : `; filename="${part.filename}"`}`;
    pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`), Buffer.from(part.data), Buffer.from("\r\n"));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(pieces), type: `multipart/form-data; boundary=${boundary}` };
}

const chunkUpload = (t: Tenant) => `/api/0/organizations/${t.org.slug}/chunk-upload/`;

async function postChunks(t: Tenant, parts: { name: string; filename?: string; data: Buffer | string }[]) {
  const { body, type } = multipart(parts);
  return send(t, "POST", chunkUpload(t), new Uint8Array(body), { "content-type": type });
}

async function assemble(t: Tenant, body: unknown) {
  const reply = await callApi("POST", `/api/0/organizations/${t.org.slug}/artifactbundle/assemble/`, { token: t.token, body });
  return { status: reply.status, body: reply.status === 200 ? reply.json() : reply.body };
}

/** Runs the queued assembly of `checksum` (org `orgId`) as the worker would, once, as its last attempt. */
async function runQueuedAssembly(orgId: number, checksum: string): Promise<unknown> {
  const jobs = await queue("artifacts").getJobs(["waiting", "delayed", "prioritized"]);
  const job = jobs.find((j) => j.name === ASSEMBLE_BUNDLE_JOB && j.data.orgId === orgId && j.data.checksum === checksum);
  if (!job) throw new Error(`no queued assembly of ${checksum}`);
  await job.remove();
  const lastAttempt = { attemptsMade: 2, opts: { attempts: 3 } } as unknown as Job;
  return assembleArtifactBundleJob.handle(assembleArtifactBundleJob.schema.parse(job.data), lastAttempt);
}

/** Uploads `bundle` as one chunk, asks for its assembly, runs it, and answers the final poll. */
async function uploadBundle(t: Tenant, bundle: Buffer, extra: Record<string, unknown> = {}) {
  const sent = await postChunks(t, [{ name: "file", filename: sha1(bundle), data: bundle }]);
  expect(sent.status, sent.text).toBe(200);
  const body = { checksum: sha1(bundle), chunks: [sha1(bundle)], projects: [t.project.slug], ...extra };
  const first = await assemble(t, body);
  expect(first.status, JSON.stringify(first.body)).toBe(200);
  if (first.body.state === "created") await runQueuedAssembly(t.org.id, sha1(bundle));
  return (await assemble(t, body)).body as { state: string; detail?: string | null; missingChunks: string[] };
}

// --- bundles ----------------------------------------------------------------------------------

function blobsOf(prefix: string): string[] {
  try {
    return readdirSync(path.join(DATA_DIR, "blobs", prefix), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(path.join(DATA_DIR, "blobs"), path.join(entry.parentPath, entry.name)));
  } catch {
    return [];
  }
}

const bundleBlobs = (orgId: number) => blobsOf(`artifacts/${orgId}`).filter((key) => !key.includes("release-files"));

// --- releases API -----------------------------------------------------------------------------

const releasesPath = (t: Tenant) => `/api/0/organizations/${t.org.slug}/releases/`;
const releasePath = (t: Tenant, version: string) => `${releasesPath(t)}${enc(version)}/`;

describe("releases API: versions in the path", () => {
  it("a NUL, an encoded slash, double encoding and 10 KB versions are 404s (or 400s on create), never 5xx", async () => {
    for (const version of ["a\u0000b", "ok@1.0.0\u0000", "\u0000", "a/b", "x".repeat(10_000)]) {
      for (const suffix of ["", "deploys/", "commits/", "previous-with-commits/"]) {
        const reply = await callApi("GET", `${releasePath(A, version)}${suffix}`, { token: A.token });
        expect(reply.status, `GET ${suffix} ${JSON.stringify(version.slice(0, 20))}: ${reply.body}`).toBe(404);
      }
      expect((await callApi("PUT", releasePath(A, version), { token: A.token, body: { dateReleased: null } })).status).toBe(404);
      expect((await callApi("DELETE", releasePath(A, version), { token: A.token })).status).toBe(404);
      expect((await callApi("POST", `${releasePath(A, version)}deploys/`, { token: A.token, body: { environment: "prod" } })).status).toBe(404);
      const create = await callApi("POST", releasesPath(A), { token: A.token, body: { version, projects: [A.project.slug] } });
      expect(create.status, `create ${JSON.stringify(version.slice(0, 20))}: ${create.body}`).toBe(400);
    }
    expect((await callApi("GET", releasePath(A, "ok@1.0.0"), { token: A.token })).status).toBe(200);
  });

  it("percent signs are characters of a version: encoded once they name it, decoded they name another", async () => {
    for (const version of ["%2F", "ok%401.0.0", "%00", "\u202e\u00e9\ud83d\ude00"]) {
      const create = await callApi("POST", releasesPath(A), { token: A.token, body: { version, projects: [A.project.slug] } });
      expect(create.status, create.body).toBe(201);
      const found = await callApi("GET", releasePath(A, version), { token: A.token });
      expect(found.status).toBe(200);
      expect(found.json().version).toBe(version);
    }
    // "%2F" sent unencoded decodes to "/", and "%00" to NUL: neither is a release
    expect((await callApi("GET", `${releasesPath(A)}%2F/`, { token: A.token })).status).toBe(404);
    expect((await callApi("GET", `${releasesPath(A)}%00/`, { token: A.token })).status).toBe(404);
    // and "ok%401.0.0" sent as is is "ok@1.0.0", not the release whose name has a percent sign
    expect((await callApi("GET", `${releasesPath(A)}ok%401.0.0/`, { token: A.token })).json().version).toBe("ok@1.0.0");
  });

  it("list filters and cursors: a NUL query, forged and out-of-range cursors are 400s or empty pages", async () => {
    expect((await callApi("GET", `${releasesPath(A)}?query=${enc("ok\u0000")}`, { token: A.token })).status).toBe(400);
    expect((await callApi("GET", `/api/0/projects/${A.org.slug}/${A.project.slug}/releases/?query=${enc("\u0000")}`, { token: A.token })).status).toBe(400);
    expect((await callApi("GET", `${releasesPath(A)}?query=${enc("%_\\")}`, { token: A.token })).json()).toEqual([]);
    // [cursor, releases list, commits (offset cursor), release files (keyset on a bigint id)]
    const cases: [string, number, number, number][] = [
      ["9999999999999999999:9999999999999999999:0", 400, 400, 400],
      ["-9999999999999999999:1:1", 400, 200, 200],
      ["8640000000000001:1:0", 400, 200, 200],
      ["0:2147483648:0", 400, 400, 200],
    ];
    for (const [cursor, list, commits, files] of cases) {
      const reply = await callApi("GET", `${releasesPath(A)}?cursor=${enc(cursor)}`, { token: A.token });
      expect(reply.status, `${cursor}: ${reply.body}`).toBe(list);
      const commitPage = await callApi("GET", `${releasePath(A, "ok@1.0.0")}commits/?cursor=${enc(cursor)}`, { token: A.token });
      expect(commitPage.status, `${cursor}: ${commitPage.body}`).toBe(commits);
      const filePage = await callApi("GET", `/api/0/projects/${A.org.slug}/${A.project.slug}/releases/ok@1.0.0/files/?cursor=${enc(cursor)}`, { token: A.token });
      expect(filePage.status, `${cursor}: ${filePage.body}`).toBe(files);
    }
  });

  it("a cursor from org A's list shows org B only B's releases", async () => {
    for (let i = 0; i < 3; i++) {
      await callApi("POST", releasesPath(A), { token: A.token, body: { version: `page-${i}`, projects: [A.project.slug] } });
    }
    await callApi("POST", releasesPath(B), { token: B.token, body: { version: "b-only", projects: [B.project.slug] } });
    const first = await callApi("GET", `${releasesPath(A)}?per_page=1`, { token: A.token });
    const cursor = /cursor="([^"]+)"/.exec(first.headers.get("link")!.split(",")[1]!)![1]!;
    const seen = await callApi("GET", `${releasesPath(B)}?cursor=${enc(cursor)}`, { token: B.token });
    expect(seen.status).toBe(200);
    for (const release of seen.json()) expect(release.version).toBe("b-only");
  });
});

describe("releases API: bodies", () => {
  it("dates JavaScript reads but PostgreSQL cannot store are 400s", async () => {
    for (const date of ["+275760-09-13T00:00:00.000Z", "-271821-04-20T00:00:00.000Z", "-004714-01-01T00:00:00Z", "+010000-01-01T00:00:00Z", "0000-06-01T00:00:00Z"]) {
      const put = await callApi("PUT", releasePath(A, "ok@1.0.0"), { token: A.token, body: { dateReleased: date } });
      expect(put.status, `dateReleased ${date}: ${put.body}`).toBe(400);
      const create = await callApi("POST", releasesPath(A), { token: A.token, body: { version: "dated", projects: [A.project.slug], dateStarted: date } });
      expect(create.status, `dateStarted ${date}: ${create.body}`).toBe(400);
      const deploy = await callApi("POST", `${releasePath(A, "ok@1.0.0")}deploys/`, { token: A.token, body: { environment: "prod", dateFinished: date } });
      expect(deploy.status, `deploy ${date}: ${deploy.body}`).toBe(400);
      const commits = await callApi("PUT", releasePath(A, "ok@1.0.0"), { token: A.token, body: { commits: [{ id: "abc", timestamp: date }] } });
      expect(commits.status, `commit ${date}: ${commits.body}`).toBe(400);
    }
    // the edges PostgreSQL does store are kept as sent
    const edge = await callApi("PUT", releasePath(A, "ok@1.0.0"), { token: A.token, body: { dateReleased: "9999-12-31T23:59:59.999Z" } });
    expect(edge.json().dateReleased).toBe("9999-12-31T23:59:59.999Z");
    const early = await callApi("PUT", releasePath(A, "ok@1.0.0"), { token: A.token, body: { dateReleased: "0001-01-01T00:00:00.000Z" } });
    expect(early.json().dateReleased).toBe("0001-01-01T00:00:00.000Z");
  });

  it("NUL and other characters PostgreSQL refuses, in every text field, are 400s", async () => {
    const nul = "x\u0000y";
    const bodies: [string, string, unknown][] = [
      ["POST", releasesPath(A), { version: "nul-ref", projects: [A.project.slug], ref: nul }],
      ["POST", releasesPath(A), { version: "nul-url", projects: [A.project.slug], url: nul }],
      ["PUT", releasePath(A, "ok@1.0.0"), { ref: nul }],
      ["PUT", releasePath(A, "ok@1.0.0"), { projects: [nul] }],
      ["PUT", releasePath(A, "ok@1.0.0"), { commits: [{ id: "abc", message: nul }] }],
      ["PUT", releasePath(A, "ok@1.0.0"), { commits: [{ id: "abc", repository: nul }] }],
      ["PUT", releasePath(A, "ok@1.0.0"), { commits: [{ id: "abc", author_name: nul, author_email: nul }] }],
      ["PUT", releasePath(A, "ok@1.0.0"), { commits: [{ id: "abc", patch_set: [{ path: nul, type: "M" }] }] }],
      ["PUT", releasePath(A, "ok@1.0.0"), { refs: [{ repository: nul, commit: "abc" }] }],
      ["POST", `${releasePath(A, "ok@1.0.0")}deploys/`, { environment: nul }],
      ["POST", `${releasePath(A, "ok@1.0.0")}deploys/`, { environment: "prod", name: nul, url: nul }],
    ];
    for (const [method, url, body] of bodies) {
      const reply = await callApi(method as "POST" | "PUT", url, { token: A.token, body });
      expect(reply.status, `${method} ${url} ${JSON.stringify(body)}: ${reply.body}`).toBe(400);
    }
  });
});

describe("releases API: volume", () => {
  const commits = (count: number, files: number) =>
    Array.from({ length: count }, (_, i) => ({
      id: `c${i}`,
      message: `commit ${i}`,
      timestamp: "2020-01-01T00:00:00Z",
      patch_set: Array.from({ length: files }, (_, j) => ({ path: `src/file-${j}.ts`, type: "M" })),
    }));

  it("10,000 commits of 10 files are stored; 100,001 changed files in one request are a 400", async () => {
    await callApi("POST", releasesPath(A), { token: A.token, body: { version: "many-commits", projects: [A.project.slug] } });
    const over = commits(10_000, 10);
    over[0]!.patch_set.push({ path: "one-more.ts", type: "A" });
    const refused = await callApi("PUT", releasePath(A, "many-commits"), { token: A.token, body: { commits: over } });
    expect(refused.status).toBe(400);
    expect(refused.json().detail).toMatch(/at most 100000 changed files/);
    const stored = await callApi("PUT", releasePath(A, "many-commits"), { token: A.token, body: { commits: commits(10_000, 10) } });
    expect(stored.status, stored.body.slice(0, 200)).toBe(200);
    expect(stored.json().commitCount).toBe(10_000);
    const [row] = await db().$queryRaw<{ count: number }[]>`
      select count(*)::int as count from commit_file_changes f join release_commits rc on rc.commit_id = f.commit_id
      join releases r on r.id = rc.release_id where r.org_id = ${A.org.id} and r.version = 'many-commits'`;
    expect(row?.count).toBe(100_000);
  });

  it("deploy spam: 300 deploys in bursts of 50 are each recorded, their environments once each", async () => {
    await callApi("POST", releasesPath(A), { token: A.token, body: { version: "deployed", projects: [A.project.slug] } });
    for (let i = 0; i < 300; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, (_, j) => callApi("POST", `${releasePath(A, "deployed")}deploys/`, { token: A.token, body: { environment: `env-${(i + j) % 7}`, name: `d${i + j}` } })),
      );
      for (const reply of batch) expect(reply.status).toBe(201);
    }
    const detail = (await callApi("GET", releasePath(A, "deployed"), { token: A.token })).json();
    expect(detail.deployCount).toBe(300);
    expect((await callApi("GET", `${releasePath(A, "deployed")}deploys/`, { token: A.token })).json()).toHaveLength(300);
    expect(await db().environment.count({ where: { projectId: A.project.id, name: { startsWith: "env-" } } })).toBe(7);
  });
});

// --- chunk upload -----------------------------------------------------------------------------

describe("chunk-upload: hostile multipart bodies", () => {
  const errorOf = (reply: { text: string }) => JSON.parse(reply.text).error as string;

  it("a body that is not multipart, or has no boundary, is a 400 {error}", async () => {
    const { body } = multipart([{ name: "file", filename: sha1("x"), data: "x" }]);
    for (const type of ["application/json", "multipart/form-data", "multipart/form-data; charset=utf-8", "multipart/form-data; boundary=other"]) {
      const reply = await send(A, "POST", chunkUpload(A), new Uint8Array(body), { "content-type": type });
      expect(reply.status, `${type}: ${reply.text}`).toBe(400);
      expect(errorOf(reply)).toMatch(/multipart/);
    }
    expect((await send(A, "POST", chunkUpload(A), undefined, { "content-type": "multipart/form-data; boundary=b" })).status).toBe(400);
  });

  it("chunk names with ../, NUL, non-hex or the wrong length are 400s; nothing is stored", async () => {
    const before = blobsOf(`chunks/${A.org.id}`).length;
    for (const filename of [`../../${sha1("x")}`, `${sha1("x")}/..`, `${sha1("x").slice(0, 39)}\u0000`, "g".repeat(40), sha1("x").slice(0, 39), `${sha1("x")}0`, ""]) {
      const reply = await postChunks(A, [{ name: "file", filename, data: "x" }]);
      expect(reply.status, `${JSON.stringify(filename)}: ${reply.text}`).toBe(400);
    }
    // a part named "file" that is not a file
    expect((await postChunks(A, [{ name: "file", data: "x" }])).status).toBe(400);
    expect(blobsOf(`chunks/${A.org.id}`).length).toBe(before);
    // an upper-case sha1 is the same chunk
    const upper = await postChunks(A, [{ name: "file", filename: sha1("upper").toUpperCase(), data: "upper" }]);
    expect(upper.status, upper.text).toBe(200);
    expect(blobsOf(`chunks/${A.org.id}`)).toContain(`chunks/${A.org.id}/${sha1("upper")}`);
  });

  it("encodings that lie: gzip parts that are not gzip, plain parts that are, and an empty chunk", async () => {
    const data = Buffer.from("chunk bytes");
    const notGzip = await postChunks(A, [{ name: "file_gzip", filename: sha1(data), data }]);
    expect(notGzip.status).toBe(400);
    expect(errorOf(notGzip)).toMatch(/not valid gzip/);
    const gzipAsPlain = await postChunks(A, [{ name: "file", filename: sha1(data), data: gzipSync(data) }]);
    expect(gzipAsPlain.status).toBe(400);
    expect(errorOf(gzipAsPlain)).toMatch(/Checksum mismatch/);
    // a request header claiming the body is gzip changes nothing: parts carry their own encoding
    const { body, type } = multipart([{ name: "file", filename: sha1(data), data }]);
    const lying = await send(A, "POST", chunkUpload(A), new Uint8Array(body), { "content-type": type, "content-encoding": "gzip" });
    expect(lying.status, lying.text).toBe(200);
    // truncated gzip
    const truncated = await postChunks(A, [{ name: "file_gzip", filename: sha1(data), data: gzipSync(data).subarray(0, 12) }]);
    expect(truncated.status).toBe(400);
    const empty = await postChunks(A, [{ name: "file", filename: sha1(""), data: "" }]);
    expect(empty.status, empty.text).toBe(200);
    expect(await db().fileChunk.findUnique({ where: { orgId_checksum: { orgId: A.org.id, checksum: sha1("") } } })).toMatchObject({ size: 0 });
  });

  it("the same chunk many times in one request is stored once; a 65th distinct chunk is refused", async () => {
    const data = Buffer.from("duplicated chunk");
    const reply = await postChunks(A, Array.from({ length: 64 }, () => ({ name: "file", filename: sha1(data), data })));
    expect(reply.status, reply.text).toBe(200);
    expect(await db().fileChunk.count({ where: { orgId: A.org.id, checksum: sha1(data) } })).toBe(1);
    const many = Array.from({ length: 65 }, (_, i) => Buffer.from(`distinct ${i}`));
    const refused = await postChunks(A, many.map((d) => ({ name: "file", filename: sha1(d), data: d })));
    expect(refused.status).toBe(400);
    expect(errorOf(refused)).toMatch(/At most 64 chunks per request/);
    expect(await db().fileChunk.count({ where: { orgId: A.org.id, checksum: { in: many.map(sha1) } } })).toBe(0);
  });

  it("gzip parts whose sum inflates far past a request's size are refused before they are held", async () => {
    // 64 chunks of 8 MiB each, 8 KiB each compressed: a 0.5 MiB request that would inflate to
    // 512 MiB held in the web process at once. sentry-cli batches chunks by their uncompressed
    // size up to maxRequestSize, so no real upload inflates past it.
    const parts = Array.from({ length: 64 }, (_, i) => {
      const data = Buffer.alloc(8 * 1024 * 1024, i + 1);
      return { name: "file_gzip", filename: sha1(data), data: gzipSync(data, { level: 1 }) };
    });
    const reply = await postChunks(A, parts);
    expect(reply.status, reply.text).toBe(400);
    expect(errorOf(reply)).toMatch(/inflate to more than 33554432 bytes/);
    expect(await db().fileChunk.count({ where: { orgId: A.org.id, checksum: { in: parts.map((p) => p.filename) } } })).toBe(0);
    // four of them (32 MiB) are what one real request may carry
    const fits = await postChunks(A, parts.slice(0, 4));
    expect(fits.status, fits.text).toBe(200);
  });

  it("a body of 450,000 tiny parts is refused by counting them, without parsing them", async () => {
    const { body, type } = multipart(Array.from({ length: 450_000 }, (_, i) => ({ name: `p${i}`, data: "x" })));
    const reply = await send(A, "POST", chunkUpload(A), new Uint8Array(body), { "content-type": type });
    expect(reply.status, reply.text).toBe(400);
    // refused by the count, which comes before the parser (whose own error would differ)
    expect(errorOf(reply)).toMatch(/Too many parts: at most 80 per request/);
    // a quoted boundary is read the same way
    const quoted = multipart([{ name: "file", filename: sha1("q"), data: "q" }], "quoted-boundary");
    const ok = await send(A, "POST", chunkUpload(A), new Uint8Array(quoted.body), { "content-type": 'multipart/form-data; boundary="quoted-boundary"' });
    expect(ok.status, ok.text).toBe(200);
  });
});

// --- assemble ---------------------------------------------------------------------------------

describe("artifactbundle/assemble: hostile requests", () => {
  const base = (t: Tenant, chunk: string) => ({ checksum: chunk, chunks: [chunk], projects: [t.project.slug] });

  it("thousands of chunks, 10 KB dists, NUL in version, dist or project are 400s", async () => {
    const c = sha1("some chunk");
    const cases: unknown[] = [
      { ...base(A, c), chunks: Array.from({ length: 10_000 }, (_, i) => sha1(String(i))) },
      { ...base(A, c), version: "v1", dist: "d".repeat(10_000) },
      { ...base(A, c), version: "v1\u0000" },
      { ...base(A, c), version: "v1", dist: "d\u0000" },
      { ...base(A, c), projects: ["\u0000"] },
      { ...base(A, c), projects: [2 ** 53] },
      { ...base(A, c), projects: [] },
      { ...base(A, c), version: "x".repeat(10_000) },
      { ...base(A, c), chunks: [`${c}\u0000`] },
      [],
      "just a string",
      null,
    ];
    for (const body of cases) {
      const reply = await assemble(A, body);
      expect(reply.status, `${JSON.stringify(body).slice(-80)}: ${JSON.stringify(reply.body)}`).toBe(400);
    }
    // unicode and percent signs are characters of a version like any other
    const unicode = await assemble(A, { ...base(A, c), version: "web@1.0.0+\u00e9%2F\ud83d\ude00", dist: "\u00e9" });
    expect(unicode).toEqual({ status: 200, body: { state: "not_found", missingChunks: [c] } });
  });

  it("duplicate chunks are asked for once; another org's chunks and bundles count for nothing", async () => {
    const chunk = Buffer.from("B's chunk");
    expect((await postChunks(B, [{ name: "file", filename: sha1(chunk), data: chunk }])).status).toBe(200);
    const dup = await assemble(A, { ...base(A, sha1("whole")), chunks: [sha1(chunk), sha1(chunk), sha1(chunk)] });
    expect(dup.body).toEqual({ state: "not_found", missingChunks: [sha1(chunk)] });

    // B's assembled bundle, asked for by A under the same checksum: A must send every byte itself
    const bundle = bundleOf({ files: {} });
    expect((await uploadBundle(B, bundle)).state).toBe("ok");
    const asked = await assemble(A, base(A, sha1(bundle)));
    expect(asked.body).toEqual({ state: "not_found", missingChunks: [sha1(bundle)] });
    expect(await db().artifactBundle.count({ where: { orgId: A.org.id, checksum: sha1(bundle) } })).toBe(0);
  });

  it("twenty concurrent first requests and a storm of 200 polls queue one assembly", async () => {
    const bundle = bundleOf({ files: {}, release: "storm" });
    expect((await postChunks(A, [{ name: "file", filename: sha1(bundle), data: bundle }])).status).toBe(200);
    const body = base(A, sha1(bundle));
    const first = await Promise.all(Array.from({ length: 20 }, () => assemble(A, body)));
    for (const reply of first) expect(reply).toMatchObject({ status: 200, body: { state: "created", missingChunks: [] } });
    const polls = await Promise.all(Array.from({ length: 200 }, () => assemble(A, body)));
    for (const reply of polls) expect(reply).toMatchObject({ status: 200, body: { state: "created" } });
    const jobs = (await queue("artifacts").getJobs(["waiting", "delayed", "prioritized"])).filter((j) => j.data.checksum === sha1(bundle));
    expect(jobs).toHaveLength(1);
    await runQueuedAssembly(A.org.id, sha1(bundle));
    const done = await Promise.all(Array.from({ length: 20 }, () => assemble(A, body)));
    for (const reply of done) expect(reply.body).toEqual({ state: "ok", missingChunks: [] });
    expect(await db().artifactBundle.count({ where: { orgId: A.org.id, checksum: sha1(bundle) } })).toBe(1);
  });
});

// --- manifests and archives -------------------------------------------------------------------

describe("bundle manifests with hostile content", () => {
  const js = (text: string) => Buffer.from(text);
  const entry = (file: string, url: string, headers: Record<string, unknown> = {}) => ({ [file]: { type: "minified_source", url, headers } });

  it("urls with ../, duplicate urls, non-uuid debug ids and prototype keys are stored as data, under numbered blobs", async () => {
    const files = {
      ...entry("files/_/_/a.js", "~/../../etc/passwd", { "debug-id": "not-a-uuid", __proto__: "x", constructor: "y" }),
      ...entry("files/_/_/b.js", "~/../../etc/passwd"),
      __proto__: { type: "source_map", url: "~/proto.js.map", headers: { "debug-id": "00000000-0000-0000-0000-00000000000Z" } },
    };
    // JSON.stringify skips a literal __proto__ key: write it into the text
    const manifest = JSON.stringify({ files }).replace('"files":{', '"files":{"__proto__":{"type":"source_map","url":"~/proto.js.map"},');
    const bundle = bundleOf(manifest, [
      { name: "files/_/_/a.js", data: js("a()") },
      { name: "files/_/_/b.js", data: js("b()") },
      { name: "__proto__", data: js("{}") },
    ]);
    const answer = await uploadBundle(A, bundle);
    expect(answer).toMatchObject({ state: "ok" });
    const stored = await db().artifactBundle.findFirstOrThrow({ where: { orgId: A.org.id, checksum: sha1(bundle) }, include: { files: true } });
    expect(stored.files.map((f) => f.url).sort()).toEqual(["~/../../etc/passwd", "~/../../etc/passwd", "~/proto.js.map"]);
    for (const file of stored.files) {
      expect(file.blobKey).toMatch(new RegExp(`^artifacts/${A.org.id}/${stored.id}/\\d+$`));
      expect(file.debugId).toBeNull();
    }
    expect(Object.getPrototypeOf(stored.files[0]!.headers)).toBe(Object.prototype);
  });

  it("NUL in a url, type, header or the manifest's release ends in an error the CLI prints, not a retried job", async () => {
    const cases: [unknown, RegExp][] = [
      [{ files: entry("files/_/_/a.js", "~/a\u0000.js") }, /url/],
      [{ files: { "files/_/_/a.js": { type: "minified\u0000", url: "~/a.js" } } }, /type/],
      [{ files: entry("files/_/_/a.js", "~/a.js", { sourcemap: "a\u0000.map" }) }, /header/],
      [{ files: entry("files/_/_/a.js", "~/a.js", { "x\u0000": "v" }) }, /header/],
      [{ files: {}, release: "r\u0000" }, /release/],
      [{ files: {}, release: "a/b" }, /release/],
      [{ files: {}, release: "ok", dist: "d\u0000" }, /dist/],
      // a detail quoting a hostile name is stored too
      [{ files: { "files/\u0000.js": { type: "source", url: "~/x.js" } } }, /names files\/\\0\.js, which the archive does not contain/],
    ];
    for (const [manifest, detail] of cases) {
      const bundle = bundleOf(manifest, [{ name: "files/_/_/a.js", data: js("a()") }]);
      const answer = await uploadBundle(A, bundle);
      expect(answer, JSON.stringify(manifest)).toMatchObject({ state: "error" });
      expect(answer.detail).toMatch(detail);
      expect(answer.detail).not.toMatch(/failed on the server/);
    }
    expect(await db().release.count({ where: { orgId: A.org.id, version: { in: ["a/b"] } } })).toBe(0);
  });

  it("a file of 1,000 headers, manifests that are not objects or list 100,000 files are errors", async () => {
    // every file's headers become a JSON row: 20,000 files of 1,000 headers would be a 16 MiB
    // manifest turned into 20,000 rows of 100 KB
    const headers = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`x-h${i}`, "v".repeat(10)]));
    const many = await uploadBundle(A, bundleOf({ files: entry("files/_/_/a.js", "~/many.js", headers) }, [{ name: "files/_/_/a.js", data: js("a()") }]));
    expect(many).toMatchObject({ state: "error", detail: 'bundle manifest entry "files/_/_/a.js" has 1000 headers; at most 32 are allowed' });
    const few = await uploadBundle(A, bundleOf({ files: entry("files/_/_/a.js", "~/few.js", { "X-Custom": "1", SourceMap: "few.js.map" }) }, [{ name: "files/_/_/a.js", data: js("a()") }]));
    expect(few.state).toBe("ok");
    expect((await db().artifactFile.findFirstOrThrow({ where: { orgId: A.org.id, url: "~/few.js" } })).headers).toEqual({ "x-custom": "1", sourcemap: "few.js.map" });

    for (const manifest of ["[]", '"files"', "null", '{"files": []}', '{"files": {"a": 1}}', "{", "\u0000"]) {
      const answer = await uploadBundle(A, bundleOf(manifest));
      expect(answer.state, manifest).toBe("error");
      expect(answer.detail).toMatch(/manifest/);
    }
    const huge = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`f${i}`, { type: "source", url: `~/${i}` }]));
    const answer = await uploadBundle(A, bundleOf({ files: huge }));
    expect(answer).toMatchObject({ state: "error", detail: "bundle manifest lists 100000 files; at most 20000 are allowed" });
  });
});

describe("ZIP tricks", () => {
  const manifestFor = (...names: string[]) => ({ files: Object.fromEntries(names.map((n, i) => [n, { type: "source", url: `~/${i}.js` }])) });

  it("entries named ../ or / are refused with the archive; a symlink entry is only bytes, kept under the bundle's blobs", async () => {
    for (const name of ["../../../../tmp/escape.js", "/etc/absolute.js", "files/../../x.js"]) {
      const answer = await uploadBundle(A, bundleOf(manifestFor(name), [{ name, data: Buffer.from("escape()") }]));
      expect(answer.state, name).toBe("error");
      expect(answer.detail).toMatch(/not a valid ZIP archive \((invalid relative path|absolute path)/);
    }
    const link = "files/_/_/link.js";
    const bundle = bundleOf(manifestFor(link), [{ name: link, data: Buffer.from("/etc/passwd"), externalAttributes: (0o120777 << 16) >>> 0 }]);
    expect(await uploadBundle(A, bundle)).toMatchObject({ state: "ok" });
    const stored = await db().artifactBundle.findFirstOrThrow({ where: { orgId: A.org.id, checksum: sha1(bundle) }, include: { files: true } });
    expect(blobsOf(`artifacts/${A.org.id}/${stored.id}`)).toEqual([`artifacts/${A.org.id}/${stored.id}/0`]);
    expect(readFileSync(path.join(DATA_DIR, "blobs", stored.files[0]!.blobKey), "utf8")).toBe("/etc/passwd");
    expect(readdirSync(path.join(DATA_DIR, "blobs")).sort()).toEqual(["artifacts", "chunks"]);
  });

  it("an encrypted entry, and an archive of 20,002 entries, end in errors", async () => {
    const encrypted = bundleOf(manifestFor("files/_/_/e.js"), [{ name: "files/_/_/e.js", data: Buffer.from("secret"), flags: 1 }]);
    const answer = await uploadBundle(A, encrypted);
    expect(answer.state).toBe("error");
    expect(answer.detail).toMatch(/files\/_\/_\/e\.js cannot be read|encrypt/);
    const crowded = bundleOf({ files: {} }, Array.from({ length: 20_002 }, (_, i) => ({ name: `x/${i}`, data: Buffer.alloc(0) })));
    expect(await uploadBundle(A, crowded)).toMatchObject({ state: "error", detail: "bundle has 20003 entries; at most 20000 files are allowed" });
  });

  it("a ZIP64 end record claiming 2^40 entries is an error, read from 200 bytes", async () => {
    const inner = zip([{ name: "manifest.json", data: Buffer.from('{"files":{}}') }]);
    const directoryEnd = inner.length - 22;
    const directorySize = inner.readUInt32LE(directoryEnd + 12);
    const directoryStart = inner.readUInt32LE(directoryEnd + 16);
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(2n ** 40n, 24);
    record.writeBigUInt64LE(2n ** 40n, 32);
    record.writeBigUInt64LE(BigInt(directorySize), 40);
    record.writeBigUInt64LE(BigInt(directoryStart), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(directoryEnd), 8);
    locator.writeUInt32LE(1, 16);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(0xffff, 8);
    end.writeUInt16LE(0xffff, 10);
    end.writeUInt32LE(0xffffffff, 12);
    end.writeUInt32LE(0xffffffff, 16);
    const bundle = Buffer.concat([SYSB, inner.subarray(0, directoryEnd), record, locator, end]);
    const answer = await uploadBundle(A, bundle);
    expect(answer.state).toBe("error");
    expect(answer.detail).toMatch(/bundle is not a valid ZIP archive|entries; at most 20000/);
  });

  it("overlapping entries (one 64 MiB deflate stream behind 15 names) are refused before anything is unpacked", async () => {
    const before = bundleBlobs(A.org.id).length;
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const names = Array.from({ length: 15 }, (_, i) => `files/_/_/${i}.js`);
    const bundle = bundleOf(
      manifestFor(...names),
      names.map((name, i) => ({ name, data: zeros, ...(i === 0 ? {} : { reuseOffsetOf: 1 }) })),
    );
    expect(bundle.length).toBeLessThan(200 * 1024);
    const answer = await uploadBundle(A, bundle);
    expect(answer.state).toBe("error");
    expect(answer.detail).toMatch(/unpacks to more than/);
    expect(bundleBlobs(A.org.id).length).toBe(before);
  });
});

// --- legacy release files ---------------------------------------------------------------------

describe("legacy release files: hostile uploads", () => {
  const filesPath = (t: Tenant, version: string) => `/api/0/projects/${t.org.slug}/${t.project.slug}/releases/${enc(version)}/files/`;
  const upload = (t: Tenant, version: string, parts: { name: string; filename?: string; data: Buffer | string }[]) => {
    const { body, type } = multipart(parts);
    return send(t, "POST", filesPath(t, version), new Uint8Array(body), { "content-type": type });
  };
  const file = (data = "x()") => ({ name: "file", filename: "app.js", data });

  it("NUL in the version, name, dist or a header, and 10 KB names, are 400s; nothing is stored", async () => {
    const before = await db().artifactFile.count({ where: { orgId: A.org.id, bundleId: null } });
    const cases: [string, { name: string; filename?: string; data: string }[]][] = [
      ["v\u0000", [file()]],
      ["rf@1", [file(), { name: "name", data: "~/a\u0000.js" }]],
      ["rf@1", [file(), { name: "name", data: "~/a.js" }, { name: "dist", data: "d\u0000" }]],
      ["rf@1", [file(), { name: "name", data: "~/a.js" }, { name: "header", data: "Sourcemap:a\u0000.map" }]],
      ["rf@1", [file(), { name: "name", data: "~/a.js" }, { name: "header", data: "X\u0000:v" }]],
      ["rf@1", [file(), { name: "name", data: `~/${"a".repeat(10_000)}` }]],
      ["rf@1", [{ name: "name", data: "~/no-file.js" }]],
      ["rf@1", [file(), ...Array.from({ length: 33 }, (_, i) => ({ name: "header", data: `X-${i}:v` }))]],
    ];
    for (const [version, parts] of cases) {
      const reply = await upload(A, version, parts);
      expect(reply.status, `${JSON.stringify(parts.slice(1)).slice(0, 100)}: ${reply.text}`).toBe(400);
    }
    expect(await db().artifactFile.count({ where: { orgId: A.org.id, bundleId: null } })).toBe(before);
    expect(blobsOf(`artifacts/${A.org.id}/release-files`)).toHaveLength(before);
  });

  it("reads with impossible versions or ids are 404s", async () => {
    expect((await upload(A, "rf@2", [file(), { name: "name", data: "~/real.js" }])).status).toBe(201);
    for (const version of ["rf@2\u0000", "x".repeat(10_000)]) {
      expect((await callApi("GET", filesPath(A, version), { token: A.token })).status).toBe(404);
      expect((await callApi("GET", `${filesPath(A, version)}1/`, { token: A.token })).status).toBe(404);
      expect((await callApi("DELETE", `${filesPath(A, version)}1/`, { token: A.token })).status).toBe(404);
    }
    for (const id of ["0", "-1", "1e3", "99999999999999999999", "9223372036854775808", "%00"]) {
      expect((await callApi("GET", `${filesPath(A, "rf@2")}${id}/`, { token: A.token })).status, id).toBe(404);
      expect((await callApi("DELETE", `${filesPath(A, "rf@2")}${id}/`, { token: A.token })).status, id).toBe(404);
    }
  });

  it("ten uploads of one name at once: one 201, nine 409s, one row, one blob", async () => {
    const before = blobsOf(`artifacts/${A.org.id}/release-files`).length;
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => upload(A, "race@1", [file(`race(${i})`), { name: "name", data: "~/race.js" }])),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    expect(await db().artifactFile.count({ where: { orgId: A.org.id, release: "race@1", url: "~/race.js" } })).toBe(1);
    expect(blobsOf(`artifacts/${A.org.id}/release-files`)).toHaveLength(before + 1);
  });

  it("a file name with ../ is data: stored as sent, downloaded under its last segment", async () => {
    const reply = await upload(A, "rf@3", [{ name: "file", filename: "../../e v%22il.js", data: "evil()" }]);
    expect(reply.status, reply.text).toBe(201);
    const { id, name } = JSON.parse(reply.text);
    const download = await fetch(`${api.url}${filesPath(A, "rf@3")}${id}/?download=1`, { headers: { authorization: `Bearer ${A.token}` } });
    expect(download.status).toBe(200);
    expect(await download.text()).toBe("evil()");
    // the multipart parser reads %22 in a filename as a quote; the header encodes it again
    expect(name).toBe('../../e v"il.js');
    expect(download.headers.get("content-disposition")).toBe('attachment; filename="e%20v%22il.js"');
  });
});
