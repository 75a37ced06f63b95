import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { getReleaseDetail, RELEASE_REFERENCED } from "@/lib/releases";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { callApi, parseLink, startApiServer } from "../support/api";
import { drainAll } from "../support/drain";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { SENTRY_CLI } from "../support/sentry-cli";

// The releases API as the real sentry-cli 3.x (@sentry/cli) uses it, over HTTP,
// then every route through callApi: two orgs (404 across them), token scopes, percent-encoded
// versions, paging, 208s and bad bodies.

const run = promisify(execFile);
const CLI = SENTRY_CLI;
const NOT_FOUND = { detail: "The requested resource does not exist" };

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let A: Tenant;
let B: Tenant;
let server: Awaited<ReturnType<typeof startApiServer>>;
let ingest: Awaited<ReturnType<typeof startIngest>>;
const tokens = {} as Record<"a" | "aRead" | "aCi" | "aWrite" | "b", string>;
const scratch: string[] = [];

const token = async (t: Tenant, scopes: Scope[]) =>
  (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "test", scopes })).token;

async function cli(args: string[], options: { cwd?: string; token?: string; org?: string } = {}) {
  const env = {
    ...process.env,
    HOME: tmpdir(),
    SENTRY_URL: server.url,
    SENTRY_AUTH_TOKEN: options.token ?? tokens.a,
    SENTRY_ORG: options.org ?? A.org.slug,
    SENTRY_PROJECT: A.project.slug,
    SENTRY_DISABLE_UPDATE_CHECK: "1",
  };
  try {
    const { stdout, stderr } = await run(CLI, args, { cwd: options.cwd, env });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const orgPath = (t: Tenant, rest = "") => `/api/0/organizations/${t.org.slug}/${rest}`;
const releasePath = (t: Tenant, version: string, rest = "") => orgPath(t, `releases/${encodeURIComponent(version)}/${rest}`);
const release = (orgId: number, version: string) =>
  db().release.findUnique({ where: { orgId_version: { orgId, version } }, include: { projects: true, deploys: true } });

beforeAll(async () => {
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  tokens.a = await token(A, ["project:releases", "org:read"]);
  tokens.aRead = await token(A, ["project:read"]);
  tokens.aCi = await token(A, ["org:ci"]);
  tokens.aWrite = await token(A, ["project:write"]);
  tokens.b = await token(B, ["project:releases", "project:write", "org:read"]);
  server = await startApiServer();
  ingest = await startIngest();
});
afterAll(async () => {
  await server?.close();
  await ingest?.close();
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

describe("the real sentry-cli 3.x", () => {
  it("info prints the token's user and scopes", async () => {
    const { code, out } = await cli(["info"]);
    expect(code, out).toBe(0);
    expect(out).toContain(A.user.email);
    expect(out).toMatch(/project:releases[\s\S]*org:read/);
  });

  it("releases new, finalize, deploys new, list and delete", async () => {
    const version = "web@1.0.0+build.7";
    let r = await cli(["releases", "new", version]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`Created release ${version}`);
    // again: nothing changes (208), the CLI is content
    r = await cli(["releases", "new", version]);
    expect(r.code, r.out).toBe(0);
    expect((await release(A.org.id, version))?.projects.map((p) => p.projectId)).toEqual([A.project.id]);

    r = await cli(["releases", "finalize", version]);
    expect(r.code, r.out).toBe(0);
    expect((await release(A.org.id, version))?.dateReleased).toBeInstanceOf(Date);

    r = await cli(["deploys", "new", "-r", version, "-e", "production", "-n", "deploy-42"]);
    expect(r.code, r.out).toBe(0);
    expect((await release(A.org.id, version))?.deploys).toMatchObject([{ environment: "production", name: "deploy-42" }]);
    expect(await db().environment.findFirst({ where: { projectId: A.project.id, name: "production" } })).not.toBeNull();

    r = await cli(["releases", "list"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(version);

    await cli(["releases", "new", "web@doomed"]);
    r = await cli(["releases", "delete", "web@doomed"]);
    expect(r.code, r.out).toBe(0);
    expect(await release(A.org.id, "web@doomed")).toBeNull();
    r = await cli(["releases", "finalize", "web@doomed"]);
    expect(r.code).not.toBe(0);
  });

  it("set-commits --local stores the git history, and the next release starts after the previous head", async () => {
    const repo = await mkdtemp(path.join(tmpdir(), "releases-git-"));
    scratch.push(repo);
    const git = (...args: string[]) => run("git", args, { cwd: repo });
    await git("init", "-q");
    await git("config", "user.email", "ada@example.com");
    await git("config", "user.name", "Ada Lovelace");
    const commit = async (file: string, message: string) => {
      await writeFile(path.join(repo, file), message);
      await git("add", file);
      await git("commit", "-q", "-m", message);
    };
    await commit("checkout.js", "Add checkout");
    await commit("cart.js", "Fix the cart total");

    await cli(["releases", "new", "web@2.0.0"], { cwd: repo });
    let r = await cli(["releases", "set-commits", "--local", "web@2.0.0"], { cwd: repo });
    expect(r.code, r.out).toBe(0);
    const commits = (await callApi("GET", releasePath(A, "web@2.0.0", "commits/"), { token: tokens.a })).json();
    expect(commits.map((c: { message: string }) => c.message.trim())).toEqual(["Fix the cart total", "Add checkout"]);
    expect(commits[0].author).toEqual({ name: "Ada Lovelace", email: "ada@example.com" });
    const files = await db().commitFileChange.findMany({ where: { commit: { orgId: A.org.id } }, orderBy: { filename: "asc" } });
    expect(files.map((f) => [f.filename, f.type])).toEqual([
      ["cart.js", "A"],
      ["checkout.js", "A"],
    ]);

    await commit("pay.js", "Pay with cards");
    await cli(["releases", "new", "web@2.1.0"], { cwd: repo });
    r = await cli(["releases", "set-commits", "--local", "web@2.1.0"], { cwd: repo });
    expect(r.code, r.out).toBe(0);
    const next = (await callApi("GET", releasePath(A, "web@2.1.0"), { token: tokens.a })).json();
    expect(next).toMatchObject({ commitCount: 1, lastCommit: { message: expect.stringContaining("Pay with cards") } });
    expect(next.authors).toEqual([{ name: "Ada Lovelace", email: "ada@example.com" }]);

    r = await cli(["repos", "list"], { cwd: repo });
    expect(r.code, r.out).toBe(0);
  });

  it("another org's token cannot create into, finalize or list this org's releases", async () => {
    let r = await cli(["releases", "new", "web@from-b"], { token: tokens.b });
    expect(r.code).not.toBe(0);
    expect(await release(A.org.id, "web@from-b")).toBeNull();
    r = await cli(["releases", "finalize", "web@1.0.0+build.7"], { token: tokens.b });
    expect(r.code).not.toBe(0);
    r = await cli(["releases", "list"], { token: tokens.b });
    expect(r.code).not.toBe(0);
    expect(r.out).not.toContain("web@1.0.0");
  });
});

describe("GET /api/0/", () => {
  it("answers nulls without a token, the scopes and user with one, 401 for a bad one", async () => {
    expect((await callApi("GET", "/api/0/")).json()).toEqual({ version: "0", auth: null, user: null });
    const withToken = (await callApi("GET", "/api/0/", { token: tokens.aCi })).json();
    expect(withToken).toMatchObject({ auth: { scopes: ["org:ci"] }, user: { id: String(A.user.id), email: A.user.email } });
    expect((await callApi("GET", "/api/0/", { token: "ehb_nope" })).status).toBe(401);
  });
});

describe("the releases REST API", () => {
  it("creates with 201, 208 when nothing changed, 201 when a project is added", async () => {
    const second = await db().project.create({ data: { orgId: A.org.id, slug: `second-${A.project.slug}`, name: "Second" } });
    const body = { version: "api@1.0", projects: [A.project.slug], ref: "abc123", url: "https://example.com/r/1" };
    const created = await callApi("POST", orgPath(A, "releases/"), { token: tokens.a, body });
    expect(created.status, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      version: "api@1.0",
      shortVersion: "1.0",
      ref: "abc123",
      url: "https://example.com/r/1",
      dateReleased: null,
      newGroups: 0,
      status: "open",
      projects: [{ id: A.project.id, slug: A.project.slug }],
      versionInfo: { package: "api", version: { raw: "1.0", major: 1, minor: 0 } },
    });
    expect((await callApi("POST", orgPath(A, "releases/"), { token: tokens.a, body })).status).toBe(208);
    const added = await callApi("POST", orgPath(A, "releases/"), { token: tokens.a, body: { ...body, projects: [second.id] } });
    expect(added.status).toBe(201);
    expect(added.json().projects.map((p: { slug: string }) => p.slug).sort()).toEqual([A.project.slug, second.slug].sort());
  });

  it("refuses bad bodies with 400", async () => {
    const post = (body: unknown) => callApi("POST", orgPath(A, "releases/"), { token: tokens.a, body });
    const bad = [
      {},
      { version: "x" },
      { version: "x", projects: [] },
      { version: "a/b", projects: [A.project.slug] },
      { version: "latest", projects: [A.project.slug] },
      { version: "x".repeat(201), projects: [A.project.slug] },
      { version: "x", projects: ["no-such-project"] },
      // another org's project is unknown here
      { version: "x", projects: [B.project.slug] },
      { version: "x", projects: [B.project.id] },
      { version: "x", projects: [A.project.slug], dateReleased: "yesterday" },
      [1, 2],
    ];
    for (const body of bad) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json().detail).toBeTruthy();
    }
    expect((await callApi("POST", orgPath(A, "releases/"), { token: tokens.a, rawBody: "{nope" })).status).toBe(400);
    expect(await release(A.org.id, "x")).toBeNull();
    const put = await callApi("PUT", releasePath(A, "api@1.0"), { token: tokens.a, body: { commits: [{ id: "not a sha!" }] } });
    expect(put.status).toBe(400);
    const deploy = await callApi("POST", releasePath(A, "api@1.0", "deploys/"), { token: tokens.a, body: { environment: "a/b" } });
    expect(deploy.status).toBe(400);
  });

  it("takes percent-encoded versions in the path", async () => {
    const version = "my-app@1.0.0+build 5%";
    expect((await callApi("POST", orgPath(A, "releases/"), { token: tokens.a, body: { version, projects: [A.project.slug] } })).status).toBe(201);
    const res = await callApi("GET", releasePath(A, version), { token: tokens.a });
    expect(res.status, res.body).toBe(200);
    expect(res.json().version).toBe(version);
    const finalized = await callApi("PUT", releasePath(A, version), { token: tokens.a, body: { dateReleased: "2026-01-02T03:04:05.678901Z" } });
    expect(finalized.json().dateReleased).toBe("2026-01-02T03:04:05.678Z");
    expect((await callApi("DELETE", releasePath(A, version), { token: tokens.a })).status).toBe(204);
    expect((await callApi("GET", releasePath(A, version), { token: tokens.a })).status).toBe(404);
  });

  it("pages the list with Link cursors, filters by version prefix and by project", async () => {
    const other = await createOrgWithProject();
    const t = await token(other, ["project:releases"]);
    for (const v of ["pg@1", "pg@2", "pg@3", "pg@4", "pg@5", "other@1"]) {
      await callApi("POST", `/api/0/organizations/${other.org.slug}/releases/`, { token: t, body: { version: v, projects: [other.project.slug] } });
    }
    const seen: string[] = [];
    let url: string | undefined = `/api/0/organizations/${other.org.slug}/releases/?query=PG@&per_page=2`;
    while (url) {
      const res = await callApi("GET", url, { token: t });
      expect(res.status, res.body).toBe(200);
      seen.push(...res.json().map((r: { version: string }) => r.version));
      const next = parseLink(res.headers.get("link")).next;
      url = next?.results ? next.url : undefined;
    }
    expect(seen).toEqual(["pg@5", "pg@4", "pg@3", "pg@2", "pg@1"]);
    const byProject = await callApi("GET", `/api/0/organizations/${other.org.slug}/releases/?project=${other.project.id}`, { token: t });
    expect(byProject.json()).toHaveLength(6);
    const projectList = await callApi("GET", `/api/0/projects/${other.org.slug}/${other.project.slug}/releases/?query=other`, { token: t });
    expect(projectList.json().map((r: { version: string }) => r.version)).toEqual(["other@1"]);
    // another org's project id is not found
    expect((await callApi("GET", `/api/0/organizations/${other.org.slug}/releases/?project=${A.project.id}`, { token: t })).status).toBe(404);
    expect((await callApi("GET", `/api/0/organizations/${other.org.slug}/releases/?cursor=bad`, { token: t })).status).toBe(400);
  });

  it("records deploys: 201, 208 for the same deploy again, listed newest first", async () => {
    const body = { environment: "staging", name: "d1", dateFinished: "2026-12-01T10:00:00Z" };
    const first = await callApi("POST", releasePath(A, "api@1.0", "deploys/"), { token: tokens.a, body });
    expect(first.status, first.body).toBe(201);
    expect(first.json()).toMatchObject({ environment: "staging", name: "d1", url: null, dateStarted: null, dateFinished: "2026-12-01T10:00:00.000Z" });
    expect((await callApi("POST", releasePath(A, "api@1.0", "deploys/"), { token: tokens.a, body })).status).toBe(208);
    const later = { environment: "production", dateFinished: "2026-12-02T10:00:00Z" };
    expect((await callApi("POST", releasePath(A, "api@1.0", "deploys/"), { token: tokens.a, body: later })).status).toBe(201);
    const list = (await callApi("GET", releasePath(A, "api@1.0", "deploys/"), { token: tokens.a })).json();
    expect(list.map((d: { environment: string }) => d.environment)).toEqual(["production", "staging"]);
    const detail = (await callApi("GET", releasePath(A, "api@1.0"), { token: tokens.a })).json();
    expect(detail).toMatchObject({ deployCount: 2, lastDeploy: { environment: "production" } });
  });

  it("sets commits by repository (replacing the list), with refs as head commits only, and lists repos", async () => {
    const commits = [
      { id: "c2", repository: "acme/web", message: "two", author_email: "b@example.com", author_name: "Bo", patch_set: [{ path: "src/a.ts", type: "M" }] },
      { id: "c1", repository: "acme/web", message: "one", timestamp: "2026-11-30T00:00:00Z" },
      { id: "c1", repository: "acme/api", message: "other repo, same sha" },
      { id: "c0" },
    ];
    const put = await callApi("PUT", releasePath(A, "api@1.0"), { token: tokens.aCi, body: { commits } });
    expect(put.status, put.body).toBe(200);
    expect(put.json()).toMatchObject({ commitCount: 4, lastCommit: { id: "c2", repository: { name: "acme/web" } } });
    const listed = (await callApi("GET", releasePath(A, "api@1.0", "commits/"), { token: tokens.a })).json();
    expect(listed.map((c: { id: string; repository: { name: string } }) => `${c.repository.name}:${c.id}`)).toEqual([
      "acme/web:c2",
      "acme/web:c1",
      "acme/api:c1",
      `organization-${A.org.id}:c0`,
    ]);
    const repos = (await callApi("GET", orgPath(A, "repos/"), { token: tokens.a })).json();
    expect(repos.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(["acme/api", "acme/web"]));
    expect(repos[0].provider).toEqual({ id: "unknown", name: "Unknown Provider" });

    // refs replace the list with each repository's head commit
    const refs = [{ repository: "acme/web", commit: "c9", previousCommit: "c2" }];
    const withRefs = await callApi("PUT", releasePath(A, "api@1.0"), { token: tokens.aWrite, body: { refs } });
    expect(withRefs.json()).toMatchObject({ commitCount: 1, lastCommit: { id: "c9" } });
    // the earlier commits stay known (shared between releases)
    expect(await db().commit.count({ where: { orgId: A.org.id, key: "c2" } })).toBe(1);

    // the latest release created before this one that has commits (set by the CLI above)
    const previous = await callApi("GET", releasePath(A, "api@1.0", "previous-with-commits/"), { token: tokens.a });
    expect(previous.status).toBe(200);
    expect(previous.json()).toMatchObject({ version: "web@2.1.0", lastCommit: { message: expect.stringContaining("Pay with cards") } });
    // none in an org whose releases have no commits
    await callApi("POST", orgPath(B, "releases/"), { token: tokens.b, body: { version: "b@1", projects: [B.project.slug] } });
    expect((await callApi("GET", releasePath(B, "b@1", "previous-with-commits/"), { token: tokens.b })).json()).toEqual({});
  });

  it("token scopes: project:read reads but cannot write; project:releases, project:write and org:ci write", async () => {
    expect((await callApi("GET", orgPath(A, "releases/"), { token: tokens.aRead })).status).toBe(200);
    const body = { version: "scoped@1", projects: [A.project.slug] };
    expect((await callApi("POST", orgPath(A, "releases/"), { token: tokens.aRead, body })).status).toBe(403);
    expect((await callApi("PUT", releasePath(A, "api@1.0"), { token: tokens.aRead, body: { ref: "x" } })).status).toBe(403);
    expect((await callApi("DELETE", releasePath(A, "api@1.0"), { token: tokens.aRead })).status).toBe(403);
    expect((await callApi("POST", orgPath(A, "releases/"), { token: tokens.aCi, body })).status).toBe(201);
    expect((await callApi("POST", orgPath(A, "releases/"), { token: tokens.aWrite, body: { ...body, version: "scoped@2" } })).status).toBe(201);
    expect((await callApi("GET", orgPath(A, "releases/"))).status).toBe(401);
  });

  it("another org's token gets 404 for every release route of this org, and cannot reach it from its own", async () => {
    const version = "api@1.0";
    const paths: ["GET" | "POST" | "PUT" | "DELETE", string, unknown?][] = [
      ["GET", orgPath(A, "releases/")],
      ["POST", orgPath(A, "releases/"), { version: "b-into-a", projects: [B.project.slug] }],
      ["GET", releasePath(A, version)],
      ["PUT", releasePath(A, version), { dateReleased: "2026-01-01T00:00:00Z" }],
      ["DELETE", releasePath(A, version)],
      ["GET", releasePath(A, version, "deploys/")],
      ["POST", releasePath(A, version, "deploys/"), { environment: "prod" }],
      ["GET", releasePath(A, version, "commits/")],
      ["GET", releasePath(A, version, "previous-with-commits/")],
      ["GET", orgPath(A, "repos/")],
      ["GET", `/api/0/projects/${A.org.slug}/${A.project.slug}/releases/`],
    ];
    for (const [method, p, body] of paths) {
      const res = await callApi(method, p, { token: tokens.b, body });
      expect(res.status, `${method} ${p}`).toBe(404);
      expect(res.json()).toEqual(NOT_FOUND);
    }
    // A's version through B's own org: B has no such release
    for (const rest of ["", "deploys/", "commits/", "previous-with-commits/"]) {
      expect((await callApi("GET", releasePath(B, version, rest), { token: tokens.b })).status).toBe(404);
    }
    expect((await callApi("DELETE", releasePath(B, version), { token: tokens.b })).status).toBe(404);
    const a = await release(A.org.id, version);
    expect(a?.dateReleased).toBeNull();
    expect(a?.deploys).toHaveLength(2);
    expect(await release(A.org.id, "b-into-a")).toBeNull();
    expect(await release(B.org.id, "b-into-a")).toBeNull();
  });

  it("summarizes events, new issues, users and issues of a release from the worker's counts, and refuses to delete it", async () => {
    const version = "live@1.0";
    const users = ["u1", "u2", "u1", "u3"];
    for (const [i, id] of users.entries()) {
      const event = errorEvent({ release: version, user: { id } });
      if (i === 3) event.exception.values[0]!.type = "RangeError";
      const res = await send(`${ingest.base}/api/${A.project.id}/envelope/?sentry_key=${A.key.publicKey}`, { body: eventEnvelope(event) });
      expect(res.status).toBe(200);
    }
    await drainAll(A.project.id);
    const viewer = { userId: A.user.id, orgId: A.org.id, role: "owner" as const };
    const detail = await getReleaseDetail(viewer, version);
    expect(detail).toMatchObject({ eventCount: 4, newIssues: 2, userCount: 3 });
    expect(detail.issues).toHaveLength(2);
    expect(detail.newIssueList).toHaveLength(2);
    expect(detail.issues.map((i) => i.eventsInRelease).sort()).toEqual([1, 3]);
    const json = (await callApi("GET", releasePath(A, version), { token: tokens.a })).json();
    expect(json).toMatchObject({ newGroups: 2, projects: [{ slug: A.project.slug, newGroups: 2 }] });
    expect(json.firstEvent).not.toBeNull();
    // B sees none of it
    await expect(getReleaseDetail({ userId: B.user.id, orgId: B.org.id, role: "owner" }, version)).rejects.toMatchObject({ code: "not_found" });

    const refused = await callApi("DELETE", releasePath(A, version), { token: tokens.a });
    expect(refused.status).toBe(400);
    expect(refused.json()).toEqual({ detail: RELEASE_REFERENCED });
    expect(await release(A.org.id, version)).not.toBeNull();
  });
});
