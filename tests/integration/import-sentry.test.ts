import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { type Server, createServer } from "node:http";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { db } from "@/lib/db";
import { migrate } from "@/lib/migrate";
import { nextPage, ourSlug, platformFromSentry } from "@/lib/migration/sentry-import";
import { createOrgWithProject } from "../support/factories";
import { ROOT, type Running, NODE, WITH_TSX, freePort, run, startNextServer } from "../support/processes";

// `npm run admin -- import-sentry` against our own REST API, which serves Sentry's shapes: a
// second errorhub (its own database, `next start`) plays the Sentry server, and its org's
// projects and keys are copied into an org of this run's database. Keys must arrive unchanged,
// so only the DSN's host and project id change; a rerun changes nothing; Link-header paging is
// followed (through a proxy that pages the project list one per page, as Sentry pages it).

const hex = () => randomBytes(16).toString("hex");
const SOURCE_ORG = "acme-src";

let sourceDb: string;
let sourceWeb: Running;
let sourceUrl: string;
let token: string;
let pager: Server;
let pagerUrl: string;
const pagerRequests: { path: string; authorization: string | undefined }[] = [];

/** What the source holds: its projects with their keys (as rows, for comparing). */
const source = {
  web: [
    {
      publicKey: hex(),
      secretKey: hex(),
      label: "Browser",
      active: true,
      rateLimitCount: 100,
      rateLimitWindow: 60,
    },
    {
      publicKey: hex(),
      secretKey: hex(),
      label: "Old",
      active: false,
      rateLimitCount: null,
      rateLimitWindow: null,
    },
  ],
  backend: [] as { publicKey: string; secretKey: string }[],
};

const admin = (args: string[]) =>
  run(NODE, [...WITH_TSX, "workers/admin.ts", ...args], { LOG_LEVEL: "warn", INGEST_URL: "https://ingest.example.test" });

const importArgs = (into: string, url = sourceUrl, tokenArg = token) => [
  "import-sentry",
  "--url",
  url,
  "--token",
  tokenArg,
  "--org",
  SOURCE_ORG,
  "--into",
  into,
];

async function sql<T = unknown>(
  connectionString: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, ".next/BUILD_ID"))) {
    const build = await run("npm", ["run", "build"]);
    expect(build.code, build.output).toBe(0);
  }
  // The "Sentry server": a database of its own, an org with three projects, a token.
  const server = inject("databaseServer");
  const name = `errorhub_src_${process.pid}_${Date.now().toString(36)}`;
  await sql(server, `create database "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  sourceDb = url.toString();
  await migrate(sourceDb);
  const bootstrap = await run(
    NODE,
    [
      ...WITH_TSX,
      "workers/admin.ts",
      "bootstrap",
      "--email",
      "owner@acme.example",
      "--password",
      "source-password-1",
      "--org",
      SOURCE_ORG,
      "--project",
      "backend",
      "--platform",
      "node",
      "--json",
    ],
    { DATABASE_URL: sourceDb, LOG_LEVEL: "warn" },
  );
  expect(bootstrap.code, bootstrap.output).toBe(0);
  const created = JSON.parse(bootstrap.output.trim()) as { token: string; projectId: number };
  token = created.token;
  await sql(sourceDb, "update projects set name = 'Checkout Backend' where id = $1", [created.projectId]);
  source.backend = await sql(
    sourceDb,
    `select public_key as "publicKey", secret_key as "secretKey" from project_keys where project_id = $1`,
    [created.projectId],
  );
  const [org] = await sql<{ id: number }>(sourceDb, "select id from organizations where slug = $1", [
    SOURCE_ORG,
  ]);
  // Slugs and platforms as Sentry has them: an underscore (not allowed here), a framework.
  const [web] = await sql<{ id: number }>(
    sourceDb,
    "insert into projects (org_id, slug, name, platform) values ($1, 'web_app', 'Web App', 'javascript-react') returning id",
    [org!.id],
  );
  for (const k of source.web) {
    await sql(
      sourceDb,
      "insert into project_keys (project_id, label, public_key, secret_key, active, rate_limit_count, rate_limit_window) values ($1, $2, $3, $4, $5, $6, $7)",
      [web!.id, k.label, k.publicKey, k.secretKey, k.active, k.rateLimitCount, k.rateLimitWindow],
    );
  }
  await sql(
    sourceDb,
    "insert into projects (org_id, slug, name, platform) values ($1, 'jobs', 'Jobs', 'python-celery')",
    [org!.id],
  );

  ({ process: sourceWeb, url: sourceUrl } = await startNextServer({ DATABASE_URL: sourceDb }));

  // Sentry pages lists (100 a page); ours answers the project list whole. This proxy pages it
  // one project a page with Sentry's Link header, and passes everything else through.
  const pagerPort = await freePort();
  pagerUrl = `http://127.0.0.1:${pagerPort}`;
  pager = createServer(async (req, res) => {
    const requestUrl = new URL(req.url ?? "/", pagerUrl);
    pagerRequests.push({
      path: requestUrl.pathname + requestUrl.search,
      authorization: req.headers.authorization,
    });
    const upstream = await fetch(`${sourceUrl}${requestUrl.pathname}`, {
      headers: { authorization: req.headers.authorization ?? "" },
    });
    const body = await upstream.text();
    if (upstream.status !== 200 || !requestUrl.pathname.endsWith(`/organizations/${SOURCE_ORG}/projects/`)) {
      res.writeHead(upstream.status, { "content-type": "application/json" }).end(body);
      return;
    }
    const all = JSON.parse(body) as unknown[];
    const at = Number(requestUrl.searchParams.get("cursor")?.split(":")[1] ?? 0);
    const link = (rel: string, offset: number, results: boolean) =>
      `<${pagerUrl}${requestUrl.pathname}?cursor=0:${offset}:${rel === "previous" ? 1 : 0}>; rel="${rel}"; results="${results}"; cursor="0:${offset}:0"`;
    res
      .writeHead(200, {
        "content-type": "application/json",
        link: `${link("previous", at - 1, at > 0)}, ${link("next", at + 1, at + 1 < all.length)}`,
      })
      .end(JSON.stringify(all.slice(at, at + 1)));
  });
  await new Promise<void>((resolve) => pager.listen(pagerPort, "127.0.0.1", resolve));
}, 600_000);

afterAll(async () => {
  await new Promise((resolve) => (pager ? pager.close(resolve) : resolve(undefined)));
  await sourceWeb?.stop("SIGKILL");
  if (sourceDb)
    await sql(
      inject("databaseServer"),
      `drop database if exists "${new URL(sourceDb).pathname.slice(1)}" with (force)`,
    );
});

const projectsOf = (orgId: number) =>
  db().project.findMany({
    where: { orgId },
    orderBy: { slug: "asc" },
    select: {
      id: true,
      slug: true,
      name: true,
      platform: true,
      keys: {
        orderBy: { id: "asc" },
        select: {
          publicKey: true,
          secretKey: true,
          label: true,
          active: true,
          rateLimitCount: true,
          rateLimitWindow: true,
        },
      },
    },
  });

describe("npm run admin -- import-sentry", { timeout: 180_000 }, () => {
  it("copies the projects with the same keys, prints what it did and each DSN, and changes nothing when run again", async () => {
    const target = await createOrgWithProject();
    const first = await admin(importArgs(target.org.slug));
    expect(first.code, first.output).toBe(0);

    const projects = await projectsOf(target.org.id);
    expect(projects.map((p) => [p.slug, p.name, p.platform])).toEqual([
      ["backend", "Checkout Backend", "node"],
      ["jobs", "Jobs", "python"],
      [target.project.slug, target.project.name, "other"],
      ["web-app", "Web App", "javascript"],
    ]);
    const bySlug = new Map(projects.map((p) => [p.slug, p]));
    expect(bySlug.get("backend")!.keys).toEqual([
      { ...source.backend[0], label: "Default", active: true, rateLimitCount: null, rateLimitWindow: null },
    ]);
    expect(bySlug.get("web-app")!.keys).toEqual(source.web);
    // No key at the source: a new one here, so the project still has a DSN.
    expect(bySlug.get("jobs")!.keys).toHaveLength(1);

    const out = first.output;
    expect(out).toContain(
      `importing projects of "${SOURCE_ORG}" from ${sourceUrl} into "${target.org.slug}"`,
    );
    expect(out).toContain("project backend: created (node)");
    expect(out).toContain("project web-app (was web_app): created (javascript)");
    expect(out).toContain(`  key ${source.web[0]!.publicKey.slice(0, 8)}…: copied`);
    expect(out).toContain("project jobs: created (python)\n  no key could be copied: made a new one");
    expect(out).toContain(
      "3 projects: 3 created, 0 existed; 3 keys: 3 copied, 0 existed, 0 in use elsewhere",
    );
    // Only the host and project id differ from the source's DSN.
    expect(out).toContain(
      `backend  https://${source.backend[0]!.publicKey}@ingest.example.test/${bySlug.get("backend")!.id}`,
    );
    expect(out).toContain(
      `web-app  https://${source.web[0]!.publicKey}@ingest.example.test/${bySlug.get("web-app")!.id}`,
    );
    const audit = await db().auditLog.findMany({
      where: { orgId: target.org.id, action: "project.imported" },
    });
    expect(audit).toHaveLength(3);

    const again = await admin([...importArgs(target.org.slug), "--json"]);
    expect(again.code, again.output).toBe(0);
    const report = JSON.parse(again.output.trim().split("\n").at(-1)!);
    expect(report.summary).toEqual({
      created: 0,
      existed: 3,
      copied: 0,
      keysExisted: 3,
      inUse: 0,
      invalid: 0,
    });
    expect(report.projects.map((p: { slug: string; status: string }) => [p.slug, p.status])).toEqual([
      ["backend", "exists"],
      ["jobs", "exists"],
      ["web-app", "exists"],
    ]);
    expect(await projectsOf(target.org.id)).toEqual(projects);
  });

  it("follows Link-header paging, sends the token on every page, and makes new keys where the old are taken", async () => {
    // The keys already live in the first test's org: a key belongs to one project, so these
    // projects get new keys (and the output says so).
    const target = await createOrgWithProject();
    const result = await admin(importArgs(target.org.slug, pagerUrl));
    expect(result.code, result.output).toBe(0);
    const listed = pagerRequests.filter((r) =>
      r.path.startsWith(`/api/0/organizations/${SOURCE_ORG}/projects/`),
    );
    expect(listed.map((r) => r.path)).toEqual([
      `/api/0/organizations/${SOURCE_ORG}/projects/`,
      `/api/0/organizations/${SOURCE_ORG}/projects/?cursor=0:1:0`,
      `/api/0/organizations/${SOURCE_ORG}/projects/?cursor=0:2:0`,
    ]);
    expect(new Set(pagerRequests.map((r) => r.authorization))).toEqual(new Set([`Bearer ${token}`]));

    const projects = await projectsOf(target.org.id);
    expect(projects.map((p) => p.slug)).toEqual(["backend", "jobs", target.project.slug, "web-app"]);
    const taken = new Set([...source.backend, ...source.web].map((k) => k.publicKey));
    for (const p of projects.filter((p) => p.slug !== target.project.slug)) {
      expect(p.keys, p.slug).toHaveLength(1);
      expect(taken.has(p.keys[0]!.publicKey)).toBe(false);
    }
    expect(result.output).toContain(
      `  key ${source.backend[0]!.publicKey.slice(0, 8)}…: in use by another project here: not copied`,
    );
    expect(result.output).toContain("3 keys: 0 copied, 0 existed, 3 in use elsewhere");
  });

  it("refuses a bad token, an unknown org here, and a non-Sentry URL with a message and exit code 1", async () => {
    const target = await createOrgWithProject();
    const badToken = await admin(importArgs(target.org.slug, sourceUrl, "ehb_not-a-token"));
    expect(badToken.code).toBe(1);
    expect(badToken.output).toContain(
      `error: ${sourceUrl} answered 401 for the projects of "${SOURCE_ORG}": the token was refused`,
    );

    const noOrg = await admin(importArgs("no-such-org-here"));
    expect(noOrg.code).toBe(1);
    expect(noOrg.output).toContain('error: no organization "no-such-org-here" here');

    const notSentry = await admin(importArgs(target.org.slug, `${sourceUrl}/docs/`));
    expect(notSentry.code).toBe(1);
    expect(notSentry.output).toMatch(/error: .*(answered 404|did not answer JSON)/);
    expect(await db().project.count({ where: { orgId: target.org.id } })).toBe(1);
  });
});

describe("the import's pieces", () => {
  it("reads Sentry's Link header", () => {
    const here = new URL("https://sentry.example.com/api/0/organizations/acme/projects/");
    const header = (results: string) =>
      `<https://sentry.example.com/api/0/organizations/acme/projects/?&cursor=100:-1:1>; rel="previous"; results="false"; cursor="100:-1:1", ` +
      `<https://sentry.example.com/api/0/organizations/acme/projects/?&cursor=100:1:0>; rel="next"; results="${results}"; cursor="100:1:0"`;
    expect(nextPage(header("true"), here)?.href).toBe(
      "https://sentry.example.com/api/0/organizations/acme/projects/?&cursor=100:1:0",
    );
    expect(nextPage(header("false"), here)).toBeNull();
    expect(nextPage(null, here)).toBeNull();
    expect(nextPage('</api/0/x/?cursor=2>; rel="next"', here)?.href).toBe(
      "https://sentry.example.com/api/0/x/?cursor=2",
    );
  });

  it("maps Sentry's slugs and platforms to ours", () => {
    expect(ourSlug("backend")).toBe("backend");
    expect(ourSlug("Web_App")).toBe("web-app");
    expect(platformFromSentry("javascript-nextjs")).toBe("nextjs");
    expect(platformFromSentry("javascript-react")).toBe("javascript");
    expect(platformFromSentry("node-express")).toBe("node");
    expect(platformFromSentry("python-django")).toBe("python");
    expect(platformFromSentry("android")).toBe("java");
    expect(platformFromSentry("go")).toBe("go");
    expect(platformFromSentry("elixir")).toBe("other");
    expect(platformFromSentry(null)).toBe("other");
    expect(platformFromSentry("golang-gin")).toBe("other");
  });
});
