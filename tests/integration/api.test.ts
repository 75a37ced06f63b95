import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { formatDsn } from "@/lib/projects/dsn";
import { env } from "@/lib/env";
import { SCOPES, type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { type ApiReply, callApi, parseLink } from "../support/api";
import { drainAll } from "../support/drain";
import { errorEvent, eventEnvelope, newEventId } from "../support/envelopes";
import { createKey, createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { type Running, startNextServer } from "../support/processes";

// The Sentry-shaped REST API, fed by real events through ingest and the processing pipeline,
// in two orgs. Most tests call the route handlers as Next does (a Request and a params
// promise); the last block goes through the running Next server.

const NOT_FOUND = { detail: "The requested resource does not exist" };
const HOUR = 3_600_000;
const base = Date.now() - HOUR;
const at = (minutes: number) => (base + minutes * 60_000) / 1000;

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let ingest: Awaited<ReturnType<typeof startIngest>>;
let A: Tenant;
let B: Tenant;
let apiProject: { id: number; slug: string };
let member: { id: number; email: string };
const tokens = {} as Record<"a" | "aRead" | "aOrgOnly" | "aBilling" | "b", string>;
const issue = {} as Record<string, number>;
const eventIds = { i1: [] as string[] };

function exceptionEvent(
  type: string,
  value: string,
  overrides: Record<string, unknown> = {},
  options: { handled?: boolean; frames?: { filename: string; function: string }[] } = {},
) {
  const event = errorEvent(overrides);
  const exception = event.exception.values[0]!;
  exception.type = type;
  exception.value = value;
  exception.mechanism = { type: "generic", handled: options.handled ?? false };
  if (options.frames) {
    exception.stacktrace.frames = options.frames.map((f, i) => ({
      ...f,
      lineno: 10 + i,
      colno: 3,
      in_app: true,
      context_line: `  ${f.function}();`,
    }));
  }
  return event;
}

function messageEvent(message: string, overrides: Record<string, unknown>) {
  return { ...errorEvent(overrides), exception: undefined, message };
}

async function sendTo(projectId: number, publicKey: string, events: { event_id: string }[]) {
  for (const event of events) {
    const res = await send(`${ingest.base}/api/${projectId}/envelope/?sentry_key=${publicKey}`, {
      body: eventEnvelope(event as ReturnType<typeof errorEvent>),
    });
    expect(res.status, res.body).toBe(200);
  }
  await drainAll(projectId);
}

async function addMember(orgId: number, role: "member" | "billing") {
  const user = await db().user.create({
    data: { email: `${role}-${newEventId().slice(0, 8)}@example.com`, name: `A ${role}` },
  });
  await db().membership.create({ data: { orgId, userId: user.id, role } });
  return user;
}

const token = async (userId: number, orgId: number, scopes: readonly Scope[]) =>
  (await unsafeCreateApiToken({ userId, orgId, name: "test", scopes: [...scopes] })).token;

beforeAll(async () => {
  ingest = await startIngest();
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  const api = await db().project.create({ data: { orgId: A.org.id, slug: `api-${A.org.slug}`, name: "API" } });
  const apiKey = await createKey(api.id);
  apiProject = api;
  member = await addMember(A.org.id, "member");
  const billing = await addMember(A.org.id, "billing");
  tokens.a = await token(A.user.id, A.org.id, SCOPES);
  tokens.aRead = await token(A.user.id, A.org.id, ["event:read", "org:read"]);
  tokens.aOrgOnly = await token(A.user.id, A.org.id, ["org:read"]);
  tokens.aBilling = await token(billing.id, A.org.id, ["event:read", "event:write", "org:read"]);
  tokens.b = await token(B.user.id, B.org.id, SCOPES);

  const common = { environment: "production", release: "1.0.0" };
  const i1 = [1, 2, 3].map((n) =>
    exceptionEvent("TypeError", "Cannot read properties of undefined (reading 'total')", {
      ...common,
      fingerprint: ["i1"],
      timestamp: at(n),
      user: { id: String(n), email: `user${n}@example.com` },
      tags: { browser: "Chrome", region: "eu" },
    }),
  );
  eventIds.i1 = i1.map((e) => e.event_id);
  await sendTo(A.project.id, A.key.publicKey, [
    ...i1,
    messageEvent("Payment provider timeout", {
      fingerprint: ["i2"],
      level: "warning",
      release: "1.0.1",
      environment: "staging",
      timestamp: at(10),
      user: { id: "4" },
      tags: { browser: "Firefox" },
      request: { url: "https://shop.example/pay", method: "POST", headers: { "User-Agent": "Mozilla/5.0" }, query_string: "a=1" },
    }),
    ...[20, 21].map((minute) =>
      exceptionEvent(
        "DatabaseError",
        "connection refused",
        { ...common, fingerprint: ["i3"], level: "fatal", timestamp: at(minute), user: { id: "5" }, tags: { browser: "Chrome Mobile" } },
        { handled: true, frames: [{ filename: "/app/src/db/pool.js", function: "connectPool" }] },
      ),
    ),
    messageEvent("Cache warmed", {
      fingerprint: ["i4"],
      level: "info",
      release: undefined,
      environment: "production",
      timestamp: at(30),
      tags: { browser: "Safari" },
    }),
    exceptionEvent("RangeError", "Invalid array length", {
      ...common,
      fingerprint: ["i5"],
      release: "0.9.0",
      timestamp: (Date.now() - 10 * 24 * HOUR) / 1000,
      tags: { region: "us" },
    }),
  ]);
  await sendTo(api.id, apiKey.publicKey, [
    exceptionEvent("ApiError", "boom", { ...common, fingerprint: ["i6"], release: "2.0.0", timestamp: at(40), tags: {} }),
    // Ten issues seen at the same instant: paging must break the tie by id.
    ...Array.from({ length: 10 }, (_, i) =>
      messageEvent(`Paging issue ${i + 1}`, { fingerprint: [`p${i + 1}`], level: "error", release: "2.0.0", timestamp: at(50), tags: {} }),
    ),
  ]);
  await sendTo(B.project.id, B.key.publicKey, [
    exceptionEvent("TypeError", "Cannot read properties of undefined (reading 'total')", {
      ...common,
      fingerprint: ["i1"],
      timestamp: at(1),
      tags: { browser: "Chrome" },
    }),
  ]);

  const rows = await db().issue.findMany({
    where: { project: { orgId: { in: [A.org.id, B.org.id] } } },
    select: { id: true, title: true, project: { select: { orgId: true } } },
  });
  for (const row of rows) {
    const name =
      row.project.orgId === B.org.id
        ? "b1"
        : (
            {
              "TypeError: Cannot read properties of undefined (reading 'total')": "i1",
              "Payment provider timeout": "i2",
              "DatabaseError: connection refused": "i3",
              "Cache warmed": "i4",
              "RangeError: Invalid array length": "i5",
              "ApiError: boom": "i6",
            } as Record<string, string>
          )[row.title] ?? row.title;
    issue[name] = row.id;
  }
  expect(rows).toHaveLength(17);
}, 120_000);

afterAll(() => ingest?.close());

const get = (path: string, as = tokens.a) => callApi("GET", path, { token: as });
const put = (path: string, body: unknown, as = tokens.a) => callApi("PUT", path, { token: as, body });
const orgIssues = (query: string, as = tokens.a) => get(`/api/0/organizations/${A.org.slug}/issues/?limit=100&${query}`, as);
const titles = (reply: ApiReply): string[] => reply.json().map((i: { title: string }) => i.title);
const sortedTitles = (reply: ApiReply) => titles(reply).sort();
const PAGING = Array.from({ length: 10 }, (_, i) => `Paging issue ${i + 1}`);
const ALL = [
  "TypeError: Cannot read properties of undefined (reading 'total')",
  "Payment provider timeout",
  "DatabaseError: connection refused",
  "Cache warmed",
  "RangeError: Invalid array length",
  "ApiError: boom",
  ...PAGING,
];
const [I1, I2, I3, I4, I5, I6] = ALL;

describe("authentication and scopes", () => {
  it("answers 401 with a detail without a token, with a bad one, a revoked one or another scheme", async () => {
    const path = `/api/0/organizations/${A.org.slug}/issues/`;
    const none = await callApi("GET", path);
    expect(none.status).toBe(401);
    expect(none.json()).toEqual({ detail: "Authentication credentials were not provided." });
    expect((await callApi("GET", path, { token: "ehb_not-a-token" })).json()).toEqual({ detail: "Invalid token" });
    expect((await callApi("GET", path, { headers: { authorization: `Basic ${tokens.a}` } })).status).toBe(401);
    const revoked = await unsafeCreateApiToken({ userId: A.user.id, orgId: A.org.id, name: "old", scopes: ["event:read"] });
    await db().apiToken.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
    expect((await callApi("GET", path, { token: revoked.token })).status).toBe(401);
  });

  it("answers 403 when the token lacks the endpoint's scope", async () => {
    const issues = await get(`/api/0/organizations/${A.org.slug}/issues/`, tokens.aOrgOnly);
    expect(issues.status).toBe(403);
    expect(issues.json().detail).toContain("event:read");
    expect((await get("/api/0/organizations/", tokens.aOrgOnly)).status).toBe(200);
    expect((await put(`/api/0/organizations/${A.org.slug}/issues/${issue.i1}/`, { status: "resolved" }, tokens.aRead)).status).toBe(403);
    expect((await get(`/api/0/projects/${A.org.slug}/${A.project.slug}/keys/`, tokens.aRead)).status).toBe(403);
    expect((await db().issue.findUniqueOrThrow({ where: { id: issue.i1! } })).status).toBe("unresolved");
  });

  it("answers 403 when the token's user has a role that may not see issues", async () => {
    const reply = await get(`/api/0/organizations/${A.org.slug}/issues/`, tokens.aBilling);
    expect(reply.status).toBe(403);
    expect(reply.json().detail).toBe("your role (billing) may not issues:read");
  });
});

describe("organizations, projects and keys", () => {
  it("lists only the token's org", async () => {
    const reply = await get("/api/0/organizations/");
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual([
      expect.objectContaining({
        id: String(A.org.id),
        slug: A.org.slug,
        name: A.org.name,
        dateCreated: A.org.createdAt.toISOString(),
        status: { id: "active", name: "active" },
      }),
    ]);
    expect((await get("/api/0/organizations/", tokens.b)).json().map((o: { slug: string }) => o.slug)).toEqual([B.org.slug]);
  });

  it("shows the org's details with the token's access, and 404 for any other org", async () => {
    const reply = await get(`/api/0/organizations/${A.org.slug}/`);
    expect(reply.json()).toMatchObject({ slug: A.org.slug, role: "owner", access: [...SCOPES] });
    expect(reply.json().projects.map((p: { slug: string }) => p.slug).sort()).toEqual([A.project.slug, apiProject.slug].sort());
    const foreign = await get(`/api/0/organizations/${A.org.slug}/`, tokens.b);
    expect(foreign.status).toBe(404);
    expect(foreign.json()).toEqual(NOT_FOUND);
    expect((await get("/api/0/organizations/no-such-org/", tokens.b)).json()).toEqual(NOT_FOUND);
  });

  it("lists the org's projects and shows one with its org", async () => {
    const list = await get(`/api/0/organizations/${A.org.slug}/projects/`);
    expect(list.json()).toEqual([
      expect.objectContaining({ id: String(apiProject.id), slug: apiProject.slug, name: "API", platform: "other" }),
      expect.objectContaining({ id: String(A.project.id), slug: A.project.slug, firstEvent: expect.any(String) }),
    ].sort((a, b) => (a.slug < b.slug ? -1 : 1)));
    const detail = await get(`/api/0/projects/${A.org.slug}/${A.project.slug}/`);
    expect(detail.json()).toMatchObject({ id: String(A.project.id), organization: { slug: A.org.slug } });
    expect((await get(`/api/0/projects/${A.org.slug}/${A.project.slug}/`, tokens.b)).status).toBe(404);
    expect((await get(`/api/0/projects/${B.org.slug}/${A.project.slug}/`, tokens.b)).status).toBe(404);
  });

  it("lists DSN keys in Sentry's shape", async () => {
    const reply = await get(`/api/0/projects/${A.org.slug}/${A.project.slug}/keys/`);
    expect(reply.status).toBe(200);
    const [key] = reply.json();
    const dsn = formatDsn(env().INGEST_URL, A.key.publicKey, A.project.id);
    expect(key).toMatchObject({
      id: A.key.publicKey,
      name: "Default",
      label: "Default",
      public: A.key.publicKey,
      secret: A.key.secretKey,
      isActive: true,
      rateLimit: null,
      projectId: A.project.id,
      dateCreated: A.key.createdAt.toISOString(),
      dsn: {
        public: dsn,
        secret: dsn.replace(`${A.key.publicKey}@`, `${A.key.publicKey}:${A.key.secretKey}@`),
        csp: expect.stringMatching(new RegExp(`/api/${A.project.id}/csp-report/\\?sentry_key=${A.key.publicKey}$`)),
        security: expect.stringContaining(`/api/${A.project.id}/security/?sentry_key=`),
        minidump: expect.stringContaining(`/api/${A.project.id}/minidump/?sentry_key=`),
      },
    });
    expect((await get(`/api/0/projects/${A.org.slug}/${A.project.slug}/keys/`, tokens.b)).json()).toEqual(NOT_FOUND);
    expect((await get(`/api/0/projects/${A.org.slug}/nope/keys/`)).status).toBe(404);
  });
});

describe("issue stream", () => {
  it("answers issues in Sentry's shape", async () => {
    const reply = await get(`/api/0/projects/${A.org.slug}/${A.project.slug}/issues/?query=&limit=100`);
    expect(reply.status).toBe(200);
    const issues = reply.json();
    const typeError = issues.find((i: { title: string }) => i.title === I1);
    const shortId = (await db().issue.findUniqueOrThrow({ where: { id: issue.i1! } })).shortId;
    expect(typeError).toMatchObject({
      id: String(issue.i1),
      shortId: `${A.project.slug.toUpperCase()}-${shortId}`,
      title: I1,
      culprit: expect.any(String),
      level: "error",
      status: "unresolved",
      statusDetails: {},
      substatus: "new",
      count: "3",
      userCount: 3,
      firstSeen: new Date(at(1) * 1000).toISOString(),
      lastSeen: new Date(at(3) * 1000).toISOString(),
      metadata: { type: "TypeError", value: "Cannot read properties of undefined (reading 'total')" },
      permalink: `${env().APP_URL}/${A.org.slug}/issues/${issue.i1}/`,
      project: { id: String(A.project.id), slug: A.project.slug, name: A.project.name },
      type: "error",
      platform: "node",
      assignedTo: null,
      isUnhandled: true,
    });
    const stats: [number, number][] = typeError.stats["24h"];
    expect(stats).toHaveLength(24);
    for (const [ts, count] of stats) {
      expect(Number.isInteger(ts) && ts % 3600 === 0).toBe(true);
      expect(typeof count).toBe("number");
    }
    expect(stats.reduce((n, [, c]) => n + c, 0)).toBe(3);
    expect(issues.find((i: { title: string }) => i.title === I3).isUnhandled).toBe(false);
    expect(issues.every((i: { project: { id: string } }) => i.project.id === String(A.project.id))).toBe(true);
    expect(issues).toHaveLength(5);
  });

  it("lists unresolved issues without a query, every issue with an empty one, and never another org's", async () => {
    const withoutQuery = await get(`/api/0/organizations/${A.org.slug}/issues/?limit=100`);
    expect(sortedTitles(withoutQuery)).toEqual([...ALL].sort());
    const fromB = await get(`/api/0/organizations/${B.org.slug}/issues/?query=`, tokens.b);
    expect(fromB.json().map((i: { id: string }) => i.id)).toEqual([String(issue.b1)]);
  });

  it.each([
    ["level:fatal", [I3]],
    ["!level:info", ALL.filter((t) => t !== I4)],
    ["level:[warning, info]", [I2, I4]],
    ["release:1.0.0", [I1, I3]],
    ["release:2.0.0 !Paging", [I6]],
    ["environment:staging", [I2]],
    ["!environment:production", [I2]],
    ["browser:Chrome", [I1]],
    ["!browser:Chrome", ALL.filter((t) => t !== I1)],
    ["browser:Chrome*", [I1, I3]],
    ['browser:"Chrome Mobile"', [I3]],
    ["region:eu", [I1]],
    ["has:browser", [I1, I2, I3, I4]],
    ["firstRelease:1.0.1", [I2]],
    ["user.id:2", [I1]],
    ['"cannot READ"', [I1]],
    ["payment TIMEOUT", [I2]],
    ["pool.js", [I3]],
    ['"Paging issue 1"', ["Paging issue 1", "Paging issue 10"]],
    ["!Paging !error", [I2, I4]],
    ["is:unresolved level:fatal", [I3]],
    ["is:resolved", []],
    ["is:unassigned level:fatal", [I3]],
    ["is:assigned", []],
  ])("filters with %s", async (query, expected) => {
    const reply = await orgIssues(`query=${encodeURIComponent(query)}`);
    expect(reply.status, reply.body).toBe(200);
    expect(sortedTitles(reply)).toEqual([...expected].sort());
  });

  it("answers 400 with the parser's message for a bad query, sort, limit, period or cursor", async () => {
    const bad = await orgIssues(`query=${encodeURIComponent("is:open")}`);
    expect(bad.status).toBe(400);
    expect(bad.json().detail).toContain('unknown is: value "open"');
    expect((await orgIssues(`query=${encodeURIComponent('"unterminated')}`)).json().detail).toContain("unterminated quote");
    expect((await orgIssues("sort=priority")).status).toBe(400);
    expect((await get(`/api/0/organizations/${A.org.slug}/issues/?limit=101`)).status).toBe(400);
    expect((await orgIssues("statsPeriod=forever")).json().detail).toContain("Invalid statsPeriod");
    expect((await orgIssues("cursor=abc")).json().detail).toContain("Invalid cursor");
  });

  it("sorts by last seen, first seen, events and users", async () => {
    const date = titles(await orgIssues("query="));
    expect(date.slice(0, 10).sort()).toEqual([...PAGING].sort());
    expect(date.slice(10)).toEqual([I6, I4, I3, I2, I1, I5]);
    // Ties (same last seen) go by id, newest first.
    const ids = (await orgIssues("query=")).json().map((i: { id: string }) => Number(i.id));
    expect(ids.slice(0, 10)).toEqual([...ids.slice(0, 10)].sort((a, b) => b - a));
    expect(titles(await orgIssues("query=&sort=new")).slice(10)).toEqual([I6, I4, I3, I2, I1, I5]);
    expect(titles(await orgIssues("query=&sort=freq")).slice(0, 2)).toEqual([I1, I3]);
    const byUsers = (await orgIssues("query=&sort=user")).json();
    expect(byUsers[0].title).toBe(I1);
    expect(byUsers.map((i: { userCount: number }) => i.userCount)).toEqual(
      byUsers.map((i: { userCount: number }) => i.userCount).sort((a: number, b: number) => b - a),
    );
  });

  it("keeps issues last seen within statsPeriod, and draws 14 daily buckets for 14d", async () => {
    expect(sortedTitles(await orgIssues("query=&statsPeriod=24h"))).toEqual(ALL.filter((t) => t !== I5).sort());
    const twoWeeks = await orgIssues("query=&statsPeriod=14d");
    expect(sortedTitles(twoWeeks)).toEqual([...ALL].sort());
    const old = twoWeeks.json().find((i: { title: string }) => i.title === I5);
    expect(old.stats["14d"]).toHaveLength(14);
    expect(old.stats["14d"].reduce((n: number, [, c]: [number, number]) => n + c, 0)).toBe(1);
    expect(sortedTitles(await orgIssues("query=&statsPeriod=1h"))).toEqual([...PAGING, I6, I4, I3, I2, I1].sort());
  });

  it("narrows by project and environment parameters; a foreign project is not found", async () => {
    expect(sortedTitles(await orgIssues(`query=&project=${apiProject.id}`))).toEqual([I6, ...PAGING].sort());
    expect(sortedTitles(await orgIssues(`query=&project=${apiProject.id}&project=${A.project.id}`))).toEqual([...ALL].sort());
    expect(sortedTitles(await orgIssues("query=&environment=staging"))).toEqual([I2]);
    expect((await orgIssues(`query=&project=${B.project.id}`)).json()).toEqual(NOT_FOUND);
    expect((await orgIssues("query=&project=shop")).status).toBe(400);
  });

  it("pages with Sentry's Link header: every issue once, in order, forward and back", async () => {
    const first = `/api/0/organizations/${A.org.slug}/issues/?query=&limit=4`;
    const expected = (await orgIssues("query=")).json().map((i: { id: string }) => i.id);
    const pages: string[][] = [];
    let url: string | undefined = first;
    let last: ApiReply | undefined;
    while (url) {
      last = await get(url);
      expect(last.status).toBe(200);
      pages.push(last.json().map((i: { id: string }) => i.id));
      const link = parseLink(last.headers.get("link"));
      if (pages.length === 1) expect(link.previous?.results).toBe(false);
      url = link.next?.results ? link.next.url : undefined;
      expect(pages.length).toBeLessThan(10);
    }
    expect(pages.map((p) => p.length)).toEqual([4, 4, 4, 4]);
    expect(pages.flat()).toEqual(expected);

    const header = last!.headers.get("link")!;
    expect(header).toMatch(
      new RegExp(
        `^<${env().APP_URL}/api/0/organizations/${A.org.slug}/issues/\\?query=&limit=4&cursor=([^>]+)>; rel="previous"; results="true"; cursor="(-?\\d+:\\d+:1)", ` +
          `<${env().APP_URL}/api/0/organizations/${A.org.slug}/issues/\\?query=&limit=4&cursor=([^>]+)>; rel="next"; results="false"; cursor="(-?\\d+:\\d+:0)"$`,
      ),
    );

    const back: string[][] = [];
    let prev = parseLink(header).previous;
    while (prev?.results) {
      const reply = await get(prev.url);
      back.unshift(reply.json().map((i: { id: string }) => i.id));
      prev = parseLink(reply.headers.get("link")).previous;
    }
    expect(back).toEqual(pages.slice(0, -1));
  });

  it("pages stably through ties of the sort key", async () => {
    const expected = (await orgIssues("query=&sort=freq")).json().map((i: { id: string }) => i.id);
    const seen: string[] = [];
    let url: string | undefined = `/api/0/organizations/${A.org.slug}/issues/?query=&sort=freq&limit=3`;
    while (url) {
      const reply = await get(url);
      seen.push(...reply.json().map((i: { id: string }) => i.id));
      const next = parseLink(reply.headers.get("link")).next;
      url = next?.results ? next.url : undefined;
    }
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(16);
  });
});

describe("updating issues", () => {
  const issuePath = (id: number, org = A.org.slug) => `/api/0/organizations/${org}/issues/${id}/`;
  const activities = (id: number) =>
    db().issueActivity.findMany({ where: { issueId: id }, orderBy: { id: "asc" }, select: { type: true, userId: true, data: true } });

  it("resolves and reopens an issue, recording who did it", async () => {
    const resolved = await put(issuePath(issue.i4!), { status: "resolved" });
    expect(resolved.status).toBe(200);
    expect(resolved.json()).toMatchObject({ id: String(issue.i4), status: "resolved", statusDetails: {}, substatus: null });
    expect(resolved.json().activity[0]).toMatchObject({ type: "set_resolved", user: { id: String(A.user.id) } });
    expect(sortedTitles(await orgIssues("query=is:resolved"))).toEqual([I4]);
    expect(titles(await get(`/api/0/organizations/${A.org.slug}/issues/?limit=100`))).not.toContain(I4);
    // Resolving again changes nothing and records nothing.
    await put(issuePath(issue.i4!), { status: "resolved" });
    const reopened = await put(issuePath(issue.i4!), { status: "unresolved" });
    expect(reopened.json()).toMatchObject({ status: "unresolved", substatus: "ongoing" });
    expect(await activities(issue.i4!)).toEqual([
      { type: "set_resolved", userId: A.user.id, data: {} },
      { type: "set_unresolved", userId: A.user.id, data: {} },
    ]);
    expect(await db().issue.findUniqueOrThrow({ where: { id: issue.i4! } })).toMatchObject({ status: "unresolved", resolvedAt: null });
  });

  it("ignores an issue for a number of events or a duration", async () => {
    const byCount = await put(issuePath(issue.i2!), { status: "ignored", statusDetails: { ignoreCount: 5 } });
    expect(byCount.json()).toMatchObject({
      status: "ignored",
      substatus: "archived_until_condition_met",
      statusDetails: { ignoreCount: 5 },
    });
    expect(await db().issue.findUniqueOrThrow({ where: { id: issue.i2! } })).toMatchObject({ status: "ignored", ignoreUntilCount: 6 });
    expect(sortedTitles(await orgIssues("query=is:ignored"))).toEqual([I2]);

    const before = Date.now();
    const byTime = await put(issuePath(issue.i2!), { status: "ignored", statusDetails: { ignoreDuration: 60 } });
    const until = Date.parse(byTime.json().statusDetails.ignoreUntil);
    expect(until).toBeGreaterThanOrEqual(before + 60 * 60_000 - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + 60 * 60_000);
    const forever = await put(issuePath(issue.i2!), { status: "ignored" });
    expect(forever.json()).toMatchObject({ substatus: "archived_forever", statusDetails: {} });
    expect((await activities(issue.i2!)).map((a) => [a.type, a.data])).toEqual([
      ["set_ignored", { ignoreCount: 5 }],
      ["set_ignored", { ignoreUntil: new Date(until).toISOString() }],
      ["set_ignored", {}],
    ]);
    await put(issuePath(issue.i2!), { status: "unresolved" });
  });

  it("assigns by email or user id, filters by assignee, and unassigns", async () => {
    const assigned = await put(issuePath(issue.i3!), { assignedTo: member.email.toUpperCase() });
    expect(assigned.json().assignedTo).toEqual({ type: "user", id: String(member.id), name: "A member", email: member.email });
    await put(issuePath(issue.i1!), { assignedTo: `user:${A.user.id}` });
    expect(sortedTitles(await orgIssues(`query=${encodeURIComponent(`assigned:${member.email}`)}`))).toEqual([I3]);
    expect(sortedTitles(await orgIssues("query=assigned:me"))).toEqual([I1]);
    expect(sortedTitles(await orgIssues("query=is:assigned"))).toEqual([I1, I3].sort());
    expect(sortedTitles(await orgIssues("query=!assigned:me level:fatal"))).toEqual([I3]);
    expect(sortedTitles(await orgIssues("query=assigned:[none, me] !Paging"))).toEqual([I1, I2, I4, I5, I6].sort());

    const cleared = await put(issuePath(issue.i1!), { assignedTo: "" });
    expect(cleared.json().assignedTo).toBeNull();
    expect((await activities(issue.i1!)).map((a) => [a.type, a.userId, a.data])).toEqual([
      ["assigned", A.user.id, { assignee: String(A.user.id), assigneeEmail: A.user.email, assigneeType: "user" }],
      ["unassigned", A.user.id, {}],
    ]);
  });

  it("refuses bad updates with 400 and a message", async () => {
    const strangers = [B.user.email, "nobody@example.com", `user:${B.user.id}`];
    for (const assignedTo of strangers) {
      const reply = await put(issuePath(issue.i1!), { assignedTo });
      expect(reply.status).toBe(400);
      expect(reply.json().detail).toContain("Unknown assignee");
    }
    expect((await put(issuePath(issue.i1!), {})).json().detail).toContain("Nothing to update");
    expect((await put(issuePath(issue.i1!), { status: "closed" })).json().detail).toMatch(/^Invalid request: .*status/);
    expect((await put(issuePath(issue.i1!), { statusDetails: { ignoreCount: 3 } })).status).toBe(400);
    const past = await put(issuePath(issue.i1!), { status: "ignored", statusDetails: { ignoreUntil: "2020-01-01T00:00:00Z" } });
    expect(past.json().detail).toBe("ignoreUntil must be in the future");
    const raw = await callApi("PUT", issuePath(issue.i1!), { token: tokens.a, rawBody: "{not json" });
    expect(raw.json()).toEqual({ detail: "Malformed JSON body" });
    expect((await db().issue.findUniqueOrThrow({ where: { id: issue.i1! } })).assigneeId).toBeNull();
  });

  it("serves the issue on Sentry's org-less path too", async () => {
    const detail = await get(`/api/0/issues/${issue.i1}/`);
    expect(detail.json()).toMatchObject({ id: String(issue.i1), title: I1, firstRelease: { version: "1.0.0" } });
    expect((await put(`/api/0/issues/${issue.i5}/`, { status: "resolved" })).json().status).toBe("resolved");
    await put(`/api/0/issues/${issue.i5}/`, { status: "unresolved" });
  });

  it("bulk updates the issues named by id, all or nothing", async () => {
    const bulk = await put(`/api/0/organizations/${A.org.slug}/issues/?id=${issue.i2}&id=${issue.i3}`, { status: "resolved" });
    expect(bulk.status).toBe(200);
    expect(bulk.json()).toEqual({ status: "resolved", statusDetails: {} });
    expect(sortedTitles(await orgIssues("query=is:resolved"))).toEqual([I2, I3].sort());

    const mixed = await put(`/api/0/organizations/${A.org.slug}/issues/?id=${issue.i4}&id=${issue.b1}`, { status: "resolved" });
    expect(mixed.json()).toEqual(NOT_FOUND);
    expect((await db().issue.findUniqueOrThrow({ where: { id: issue.i4! } })).status).toBe("unresolved");
    const otherProject = await put(`/api/0/projects/${A.org.slug}/${apiProject.slug}/issues/?id=${issue.i4}`, { status: "resolved" });
    expect(otherProject.status).toBe(404);

    const assign = await put(`/api/0/organizations/${A.org.slug}/issues/?id=${issue.i2}&id=${issue.i3}`, { assignedTo: member.email });
    expect(assign.json()).toEqual({ assignedTo: { type: "user", id: String(member.id), name: "A member", email: member.email } });
    await put(`/api/0/organizations/${A.org.slug}/issues/?id=${issue.i2}&id=${issue.i3}`, { status: "unresolved", assignedTo: null });
  });

  it("bulk updates a project's issues matching a query when no ids are given", async () => {
    const path = `/api/0/projects/${A.org.slug}/${apiProject.slug}/issues/?query=${encodeURIComponent("Paging issue")}`;
    const reply = await put(path, { status: "ignored", statusDetails: { ignoreCount: 10 } });
    expect(reply.json()).toEqual({ status: "ignored", statusDetails: { ignoreCount: 10 } });
    expect(sortedTitles(await orgIssues("query=is:ignored"))).toEqual([...PAGING].sort());
    expect(await db().issueActivity.count({ where: { issueId: { in: PAGING.map((t) => issue[t]!) }, type: "set_ignored" } })).toBe(10);
    // Nothing matches any more.
    const none = `/api/0/projects/${A.org.slug}/${apiProject.slug}/issues/?query=${encodeURIComponent("Paging is:unresolved")}`;
    expect((await put(none, { status: "resolved" })).status).toBe(204);
    await put(`/api/0/organizations/${A.org.slug}/issues/?query=is:ignored`, { status: "unresolved" });
    expect(await orgIssues("query=is:ignored").then(titles)).toEqual([]);
  });

  it("deletes an issue with its events and hashes (202), then it is gone", async () => {
    const id = issue.i6!;
    expect(await db().event.count({ where: { issueId: id } })).toBe(1);
    const reply = await callApi("DELETE", issuePath(id), { token: tokens.a });
    expect(reply.status).toBe(202);
    expect(reply.body).toBe("");
    expect((await get(issuePath(id))).json()).toEqual(NOT_FOUND);
    expect(await db().event.count({ where: { issueId: id } })).toBe(0);
    expect(await db().issueHash.count({ where: { issueId: id } })).toBe(0);
    expect(await db().auditLog.count({ where: { orgId: A.org.id, action: "issue.delete", targetId: String(id) } })).toBe(1);
    expect((await callApi("DELETE", issuePath(id), { token: tokens.a })).status).toBe(404);
  });
});

describe("events of an issue", () => {
  const eventsPath = (id: number) => `/api/0/organizations/${A.org.slug}/issues/${id}/events/`;

  it("lists events newest first in the short form, paged", async () => {
    const reply = await get(eventsPath(issue.i1!));
    const events = reply.json();
    expect(events.map((e: { eventID: string }) => e.eventID)).toEqual([...eventIds.i1].reverse());
    expect(events[0]).toMatchObject({
      id: eventIds.i1[2],
      eventID: eventIds.i1[2],
      groupID: String(issue.i1),
      projectID: String(A.project.id),
      title: I1,
      platform: "node",
      dateCreated: new Date(at(3) * 1000).toISOString(),
      user: { id: "3", email: "user3@example.com" },
    });
    expect(events[0].tags).toContainEqual({ key: "browser", value: "Chrome" });
    expect(events[0].tags.map((t: { key: string }) => t.key)).toEqual(events[0].tags.map((t: { key: string }) => t.key).sort());
    expect(events[0].entries).toBeUndefined();

    const first = await get(`${eventsPath(issue.i1!)}?limit=2`);
    const link = parseLink(first.headers.get("link"));
    expect(link.next?.results).toBe(true);
    const second = await get(link.next!.url);
    expect(parseLink(second.headers.get("link")).next?.results).toBe(false);
    expect([...first.json(), ...second.json()].map((e: { eventID: string }) => e.eventID)).toEqual([...eventIds.i1].reverse());
  });

  it("gives entries with full=true, and the latest, oldest or one event in detail", async () => {
    const full = (await get(`${eventsPath(issue.i1!)}?full=true`)).json();
    expect(full[0].entries.map((e: { type: string }) => e.type)).toEqual(["exception", "breadcrumbs"]);

    const latest = (await get(`${eventsPath(issue.i1!)}latest/`)).json();
    expect(latest).toMatchObject({
      id: eventIds.i1[2],
      eventID: eventIds.i1[2],
      groupID: String(issue.i1),
      title: I1,
      message: "",
      platform: "node",
      dateCreated: new Date(at(3) * 1000).toISOString(),
      dateReceived: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      release: { version: "1.0.0" },
      environment: "production",
      user: { id: "3", email: "user3@example.com" },
      sdk: { name: "sentry.javascript.node", version: "11.12.0" },
      contexts: { runtime: { name: "node", version: "v20.20.2" } },
      previousEventID: eventIds.i1[1],
      nextEventID: null,
    });
    expect(latest.fingerprints.length).toBeGreaterThan(0);
    for (const hash of latest.fingerprints) expect(hash).toMatch(/^[0-9a-f]{32}$/);
    const exception = latest.entries.find((e: { type: string }) => e.type === "exception").data.values[0];
    expect(exception).toMatchObject({
      type: "TypeError",
      value: "Cannot read properties of undefined (reading 'total')",
      mechanism: { type: "generic", handled: false },
    });
    expect(exception.stacktrace.frames).toHaveLength(8);
    expect(exception.stacktrace.frames[7]).toMatchObject({
      filename: "/app/src/checkout/step-7.js",
      function: "handleStep7",
      lineNo: 17,
      colNo: 5,
      inApp: true,
      context: [[17, "  const total = cart.summary.total; // step 7"]],
    });
    expect(exception.stacktrace.hasSystemFrames).toBe(true);
    const crumbs = latest.entries.find((e: { type: string }) => e.type === "breadcrumbs").data.values;
    expect(crumbs).toHaveLength(5);
    expect(crumbs[0]).toMatchObject({ category: "http", message: "GET /api/cart/0", type: "default", level: "info" });
    expect(crumbs[0].timestamp).toMatch(/Z$/);
    expect(latest.tags).toContainEqual({ key: "release", value: "1.0.0" });

    const oldest = (await get(`${eventsPath(issue.i1!)}oldest/`)).json();
    expect(oldest).toMatchObject({ eventID: eventIds.i1[0], previousEventID: null, nextEventID: eventIds.i1[1] });
    const middleId = eventIds.i1[1]!;
    const dashed = `${middleId.slice(0, 8)}-${middleId.slice(8, 12)}-${middleId.slice(12, 16)}-${middleId.slice(16, 20)}-${middleId.slice(20)}`;
    const middle = (await get(`/api/0/issues/${issue.i1}/events/${dashed}/`)).json();
    expect(middle).toMatchObject({ eventID: middleId, previousEventID: eventIds.i1[0], nextEventID: eventIds.i1[2] });
  });

  it("shows message and request entries", async () => {
    const event = (await get(`${eventsPath(issue.i2!)}latest/`)).json();
    expect(event.message).toBe("Payment provider timeout");
    const entries = Object.fromEntries(event.entries.map((e: { type: string; data: unknown }) => [e.type, e.data]));
    expect(entries.message).toMatchObject({ formatted: "Payment provider timeout" });
    expect(entries.request).toMatchObject({
      url: "https://shop.example/pay",
      method: "POST",
      query: [["a", "1"]],
      headers: [["User-Agent", "Mozilla/5.0"]],
    });
    expect(entries.exception).toBeUndefined();
  });

  it("answers 404 for unknown, malformed, other issues' and other orgs' events", async () => {
    const i3Event = await db().event.findFirstOrThrow({ where: { issueId: issue.i3! }, select: { eventId: true } });
    for (const path of [
      `${eventsPath(issue.i1!)}${i3Event.eventId}/`,
      `${eventsPath(issue.i1!)}${newEventId()}/`,
      `${eventsPath(issue.i1!)}not-an-id/`,
      `${eventsPath(999_999_999)}latest/`,
    ]) {
      expect((await get(path)).json(), path).toEqual(NOT_FOUND);
    }
    expect((await get(`${eventsPath(issue.i1!)}latest/`, tokens.b)).status).toBe(404);
    expect((await get(`/api/0/issues/${issue.i1}/events/`, tokens.b)).status).toBe(404);
  });
});

describe("tags of an issue", () => {
  const tagsPath = (id: number) => `/api/0/organizations/${A.org.slug}/issues/${id}/tags/`;

  it("summarizes each tag key with its top values", async () => {
    const tags = (await get(tagsPath(issue.i1!))).json();
    const browser = tags.find((t: { key: string }) => t.key === "browser");
    expect(browser).toEqual({
      key: "browser",
      name: "Browser",
      totalValues: 3,
      uniqueValues: 1,
      topValues: [
        {
          key: "browser",
          name: "Chrome",
          value: "Chrome",
          count: 3,
          firstSeen: new Date(at(1) * 1000).toISOString(),
          lastSeen: new Date(at(3) * 1000).toISOString(),
        },
      ],
    });
    expect(tags.find((t: { key: string }) => t.key === "user")).toMatchObject({ totalValues: 3, uniqueValues: 3 });
    const only = (await get(`${tagsPath(issue.i1!)}?key=level&key=browser`)).json();
    expect(only.map((t: { key: string }) => t.key).sort()).toEqual(["browser", "level"]);
    expect((await get(`${tagsPath(issue.i1!)}browser/`)).json()).toMatchObject({ key: "browser", totalValues: 3 });
    expect((await get(`${tagsPath(issue.i1!)}nope/`)).json()).toEqual(NOT_FOUND);
  });

  it("pages one key's values", async () => {
    const first = await get(`${tagsPath(issue.i1!)}user/values/?limit=2&sort=age`);
    expect(first.json().map((v: { value: string }) => v.value)).toEqual(["id:3", "id:2"]);
    expect(first.json()[0]).toMatchObject({ key: "user", count: 1 });
    const next = parseLink(first.headers.get("link")).next!;
    expect(next.results).toBe(true);
    const second = await get(next.url);
    expect(second.json().map((v: { value: string }) => v.value)).toEqual(["id:1"]);
    expect(parseLink(second.headers.get("link"))).toMatchObject({ previous: { results: true }, next: { results: false } });
    expect((await get(`${tagsPath(issue.i1!)}nope/values/`)).status).toBe(404);
    expect((await get(`/api/0/issues/${issue.i1}/tags/user/values/`)).json()).toHaveLength(3);
  });
});

describe("tenant isolation", () => {
  it("answers another org's token 404 on every path to an issue, and changes nothing", async () => {
    const before = await db().issue.findUniqueOrThrow({ where: { id: issue.i1! } });
    const activitiesBefore = await db().issueActivity.count({ where: { issueId: issue.i1! } });
    const paths = [
      `/api/0/organizations/${A.org.slug}/issues/${issue.i1}/`,
      `/api/0/organizations/${B.org.slug}/issues/${issue.i1}/`,
      `/api/0/issues/${issue.i1}/`,
    ];
    for (const path of paths) {
      expect((await get(path, tokens.b)).json(), path).toEqual(NOT_FOUND);
      expect((await put(path, { status: "resolved", assignedTo: B.user.email }, tokens.b)).json(), path).toEqual(NOT_FOUND);
      expect((await callApi("DELETE", path, { token: tokens.b })).status, path).toBe(404);
      expect((await get(`${path}tags/`, tokens.b)).status, path).toBe(404);
    }
    expect((await put(`/api/0/organizations/${B.org.slug}/issues/?id=${issue.i1}`, { status: "resolved" }, tokens.b)).status).toBe(404);
    expect((await put(`/api/0/organizations/${A.org.slug}/issues/?id=${issue.i1}`, { status: "resolved" }, tokens.b)).status).toBe(404);
    expect((await get(`/api/0/organizations/${A.org.slug}/issues/`, tokens.b)).json()).toEqual(NOT_FOUND);
    expect(await db().issue.findUniqueOrThrow({ where: { id: issue.i1! } })).toEqual(before);
    expect(await db().issueActivity.count({ where: { issueId: issue.i1! } })).toBe(activitiesBefore);
  });

  it("answers 404 for ids that are not numbers or too big", async () => {
    for (const id of ["abc", "1.5", "-1", "0", "99999999999", "1e3"]) {
      expect((await get(`/api/0/issues/${id}/`)).json(), id).toEqual(NOT_FOUND);
    }
    expect((await put(`/api/0/organizations/${A.org.slug}/issues/?id=abc`, { status: "resolved" })).status).toBe(404);
  });
});

describe("through the running Next server", () => {
  let web: Running;
  let url: string;

  beforeAll(async () => {
    ({ process: web, url } = await startNextServer());
  }, 600_000);

  afterAll(async () => {
    await web?.stop("SIGKILL");
  });

  const fetchApi = (p: string, init: RequestInit = {}, as = tokens.a) =>
    fetch(`${url}${p}`, { ...init, headers: { authorization: `Bearer ${as}`, ...init.headers } });

  it("serves the API with and without the trailing slash", async () => {
    for (const p of ["/api/0/organizations/", "/api/0/organizations"]) {
      const res = await fetchApi(p);
      expect(res.status, p).toBe(200);
      expect((await res.json()).map((o: { slug: string }) => o.slug)).toEqual([A.org.slug]);
    }
    for (const p of [`/api/0/organizations/${A.org.slug}/issues/?query=level:fatal`, `/api/0/organizations/${A.org.slug}/issues?query=level:fatal`]) {
      const res = await fetchApi(p);
      expect(res.status, p).toBe(200);
      expect((await res.json()).map((i: { title: string }) => i.title)).toEqual([I3]);
      expect(parseLink(res.headers.get("link")).next).toMatchObject({ results: false });
      expect(res.headers.get("link")).toContain(`${url}/api/0/organizations/${A.org.slug}/issues/?query=level`);
    }
  });

  it("answers 401, 404 and 400 as JSON, and updates through PUT", async () => {
    const anonymous = await fetch(`${url}/api/0/organizations/`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ detail: "Authentication credentials were not provided." });
    const foreign = await fetchApi(`/api/0/issues/${issue.i1}/`, {}, tokens.b);
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual(NOT_FOUND);
    const bad = await fetchApi(`/api/0/organizations/${A.org.slug}/issues/?query=${encodeURIComponent("is:nope")}`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).detail).toContain('unknown is: value "nope"');

    const latest = await fetchApi(`/api/0/organizations/${A.org.slug}/issues/${issue.i1}/events/latest/`);
    expect((await latest.json()).entries[0].type).toBe("exception");
    const resolved = await fetchApi(`/api/0/issues/${issue.i4}/`, {
      method: "PUT",
      body: JSON.stringify({ status: "resolved" }),
      headers: { "content-type": "application/json" },
    });
    expect(resolved.status).toBe(200);
    expect((await resolved.json()).status).toBe("resolved");
    expect((await db().issue.findUniqueOrThrow({ where: { id: issue.i4! } })).status).toBe("resolved");
  });
});

describe("values the database cannot hold, and bodies too large to read", () => {
  it("answers 400, not 500, to a NUL in a query and to a JSON body over 20 MiB", async () => {
    const nul = await callApi("GET", `/api/0/projects/${A.org.slug}/${A.project.slug}/issues/?query=%00`, { token: tokens.a });
    expect(nul.status).toBe(400);
    expect(nul.json().detail).toMatch(/cannot be stored/);
    const huge = await callApi("PUT", `/api/0/organizations/${A.org.slug}/issues/?id=1`, {
      token: tokens.a,
      rawBody: `{"status": "resolved", "pad": "${"x".repeat(21 * 1024 * 1024)}"}`,
    });
    expect(huge.status).toBe(400);
    expect(huge.json().detail).toMatch(/too large/);
  });
});
