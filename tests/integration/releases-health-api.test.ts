import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { db } from "@/lib/db";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { callApi, parseLink } from "../support/api";
import { drainAll } from "../support/drain";
import { envelope } from "../support/envelopes";
import { createKey, createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";

// The releases API's `?health=1` (Sentry's healthData on each project of a release): raw
// session items through the real ingest, drained by the worker's code, then the org's and the
// project's release list and detail read with health=1: exact crash-free figures per project,
// adoption, the stats series, periods, bad parameters, two orgs, and without health=1 the
// shape as before with no session read at all.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let A: Tenant;
let B: Tenant;
let A2: { id: number; slug: string; key: { publicKey: string } };
let ingest: Awaited<ReturnType<typeof startIngest>>;
const tokens = {} as Record<"a" | "b", string>;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const hourNow = Math.floor(Date.now() / HOUR) * HOUR;
// T1 three hours ago, T2 one hour ago (10 minutes into each hour), OLD 20 days ago.
const T1 = hourNow - 3 * HOUR + 600_000;
const T2 = hourNow - HOUR + 600_000;
const OLD = hourNow - 20 * DAY + 600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const hourSeconds = (ms: number) => Math.floor(ms / HOUR) * 3600;

const token = async (t: Tenant, scopes: Scope[]) =>
  (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "test", scopes })).token;

async function post(projectId: number, publicKey: string, items: { type: string; payload: string }[]) {
  const body = envelope({ sent_at: new Date().toISOString() }, items);
  const reply = await send(`${ingest.base}/api/${projectId}/envelope/?sentry_key=${publicKey}`, { body });
  expect(reply.status, reply.body).toBe(200);
}

/** One session: its init update, then its final one, as SDKs send them. */
async function session(projectId: number, publicKey: string, started: number, release: string, final: { did?: string; status: string; errors?: number }) {
  const sid = randomUUID();
  const attrs = { release, environment: "production" };
  for (const [init, status, errors, at] of [
    [true, "ok", 0, started],
    [false, final.status, final.errors ?? 0, started + 1000],
  ] as const) {
    const update = { sid, did: final.did, init, started: iso(started), timestamp: iso(at), status, errors, attrs };
    await post(projectId, publicKey, [{ type: "session", payload: JSON.stringify(update) }]);
  }
}

async function get(path: string, tok = tokens.a) {
  const reply = await callApi("GET", path, { token: tok });
  expect(reply.status, reply.body).toBe(200);
  return reply;
}
const orgReleases = (t: Tenant, rest = "") => `/api/0/organizations/${t.org.slug}/releases/${rest}`;

type Health = Record<string, unknown> & { stats: Record<string, [number, number][]> | null };
type ProjectEntry = { id: number; slug: string; hasHealthData: boolean; healthData?: Health | null };
const healthOf = (release: { projects: ProjectEntry[] }, projectId: number) => release.projects.find((p) => p.id === projectId)?.healthData;

beforeAll(async () => {
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  const project2 = await db().project.create({ data: { orgId: A.org.id, slug: `second-${A.org.slug}`, name: "Second" } });
  A2 = { id: project2.id, slug: project2.slug, key: await createKey(project2.id) };
  tokens.a = await token(A, ["project:releases"]);
  tokens.b = await token(B, ["project:releases"]);
  ingest = await startIngest();

  // The releases, oldest first (lists are newest first).
  for (const [t, version, projects, tok] of [
    [A, "app@0.9", [A.project.slug], tokens.a],
    [A, "app@1.0", [A.project.slug, A2.slug], tokens.a],
    [A, "app@2.0", [A.project.slug], tokens.a],
    [A, "app@3.0", [A.project.slug], tokens.a],
    [B, "app@1.0", [B.project.slug], tokens.b],
  ] as const) {
    const reply = await callApi("POST", orgReleases(t), { token: tok, body: { version, projects } });
    expect(reply.status, reply.body).toBe(201);
  }

  const p1 = [A.project.id, A.key.publicKey] as const;
  // Project 1, app@1.0 at T1: healthy, crashed (u1 twice), errored, abnormal, one without a did.
  await session(...p1, T1, "app@1.0", { did: "u1", status: "exited" });
  await session(...p1, T1, "app@1.0", { did: "u1", status: "crashed", errors: 1 });
  await session(...p1, T1, "app@1.0", { did: "u2", status: "exited", errors: 1 });
  await session(...p1, T1, "app@1.0", { did: "u3", status: "abnormal" });
  await session(...p1, T1, "app@1.0", { status: "exited" });
  // Project 1, app@2.0 at T2: a server SDK's aggregates (9 sessions, 1 crashed, 1 errored, 2 users).
  await post(...p1, [
    {
      type: "sessions",
      payload: JSON.stringify({
        attrs: { release: "app@2.0", environment: "production" },
        aggregates: [
          { started: iso(T2), did: "u4", exited: 3 },
          { started: iso(T2), did: "u5", errored: 1, crashed: 1 },
          { started: iso(T2), exited: 4 },
        ],
      }),
    },
  ]);
  // Project 1, app@0.9, 20 days ago: outside the default 14 days, within 90.
  await session(...p1, OLD, "app@0.9", { did: "u9", status: "exited" });
  // Project 2 of A, app@1.0 at T2: u1 twice, healthy there.
  await session(A2.id, A2.key.publicKey, T2, "app@1.0", { did: "u1", status: "exited" });
  await session(A2.id, A2.key.publicKey, T2, "app@1.0", { did: "u1", status: "exited" });
  // B: one crashed session of a release named like A's.
  await session(B.project.id, B.key.publicKey, T2, "app@1.0", { did: "b-user", status: "crashed" });

  await drainAll(A.project.id);
  await drainAll(A2.id);
  await drainAll(B.project.id);
});
afterAll(async () => {
  await ingest?.close();
});

// Project 1 in the last 24 h: 14 sessions (5 of app@1.0, 9 of app@2.0), users u1-u5.
const P1_V1 = {
  durationP50: null,
  durationP90: null,
  crashFreeUsers: 100 - (1 / 3) * 100,
  crashFreeSessions: 80,
  sessionsCrashed: 1,
  sessionsErrored: 1,
  totalUsers: 3,
  totalUsers24h: 3,
  totalProjectUsers24h: 5,
  totalSessions: 5,
  totalSessions24h: 5,
  totalProjectSessions24h: 14,
  adoption: 60,
  sessionsAdoption: (5 / 14) * 100,
  hasHealthData: true,
};

describe("GET releases with ?health=1", () => {
  it("the org's list: Sentry's healthData per project of each release, exact", async () => {
    const list = (await get(orgReleases(A, "?health=1"))).json() as { version: string; projects: ProjectEntry[] }[];
    expect(list.map((r) => r.version)).toEqual(["app@3.0", "app@2.0", "app@1.0", "app@0.9"]);
    const [v3, v2, v1, v09] = list as [(typeof list)[0], (typeof list)[0], (typeof list)[0], (typeof list)[0]];

    expect(healthOf(v1, A.project.id)).toEqual({ ...P1_V1, stats: { "24h": expect.any(Array) } });
    // Sentry's key order, so clients reading it see the same object
    expect(Object.keys(healthOf(v1, A.project.id)!)).toEqual([
      "durationP50", "durationP90", "crashFreeUsers", "crashFreeSessions", "sessionsCrashed", "sessionsErrored",
      "totalUsers", "totalUsers24h", "totalProjectUsers24h", "totalSessions", "totalSessions24h",
      "totalProjectSessions24h", "adoption", "sessionsAdoption", "stats", "hasHealthData",
    ]);
    expect(v1.projects.find((p) => p.id === A.project.id)!.hasHealthData).toBe(true);
    // the same release in project 2: only its own sessions (u1 healthy there)
    expect(healthOf(v1, A2.id)).toMatchObject({
      crashFreeUsers: 100,
      crashFreeSessions: 100,
      totalSessions: 2,
      totalUsers: 1,
      totalProjectSessions24h: 2,
      adoption: 100,
      sessionsAdoption: 100,
    });
    expect(healthOf(v2, A.project.id)).toMatchObject({
      crashFreeUsers: 50,
      crashFreeSessions: 100 - 100 / 9,
      sessionsCrashed: 1,
      sessionsErrored: 1,
      totalSessions: 9,
      totalUsers: 2,
      adoption: 40,
      sessionsAdoption: (9 / 14) * 100,
    });
    // app@0.9 had sessions 20 days ago: health data, none in the default 14 days
    expect(healthOf(v09, A.project.id)).toMatchObject({
      hasHealthData: true,
      crashFreeSessions: null,
      crashFreeUsers: null,
      totalSessions: 0,
      totalSessions24h: null,
      totalProjectSessions24h: null,
      adoption: null,
    });
    // app@3.0 never had a session
    expect(healthOf(v3, A.project.id)).toMatchObject({ hasHealthData: false, crashFreeSessions: null, totalSessions: 0, totalUsers: 0 });
    expect(v3.projects[0]!.hasHealthData).toBe(false);
  });

  it("stats: 24 hourly points by default ([seconds, sessions], the last one now), users or 14 days on request", async () => {
    const byDefault = (await get(orgReleases(A, "app%401.0/?health=1"))).json();
    const points = healthOf(byDefault, A.project.id)!.stats!["24h"]!;
    expect(points).toHaveLength(24);
    expect(points.at(-1)![0]).toBe(hourSeconds(Date.now()));
    expect(points.find(([ts]) => ts === hourSeconds(T1))![1]).toBe(5);
    expect(points.reduce((sum, [, n]) => sum + n, 0)).toBe(5);

    const users = (await get(orgReleases(A, "app%401.0/?health=1&healthStat=users"))).json();
    // (Sentry reads healthStat on the list only; the detail takes it too)
    expect(healthOf(users, A.project.id)!.stats!["24h"]!.find(([ts]) => ts === hourSeconds(T1))![1]).toBe(3);
    const listUsers = (await get(orgReleases(A, "?health=1&healthStat=users&healthStatsPeriod=48h"))).json();
    const v1Users = healthOf(listUsers.find((r: { version: string }) => r.version === "app@1.0"), A.project.id)!.stats!["48h"]!;
    expect(v1Users).toHaveLength(48);
    expect(v1Users.find(([ts]) => ts === hourSeconds(T1))![1]).toBe(3);

    const daily = (await get(orgReleases(A, "app%401.0/?health=1&healthStatsPeriod=14d"))).json();
    const days = healthOf(daily, A.project.id)!.stats!["14d"]!;
    expect(days).toHaveLength(14);
    expect(days.at(-1)![0]).toBe(Math.floor(Date.now() / DAY) * 86_400);
    expect(days.find(([ts]) => ts === Math.floor(T1 / DAY) * 86_400)![1]).toBe(5);
  });

  it("summaryStatsPeriod: 30 days reach app@0.9's old session, 24 hours not", async () => {
    const month = (await get(orgReleases(A, "app%400.9/?health=1&summaryStatsPeriod=30d"))).json();
    expect(healthOf(month, A.project.id)).toMatchObject({ totalSessions: 1, totalUsers: 1, crashFreeSessions: 100, hasHealthData: true });
    const day = (await get(orgReleases(A, "app%402.0/?health=1&summaryStatsPeriod=24h"))).json();
    expect(healthOf(day, A.project.id)).toMatchObject({ totalSessions: 9, crashFreeUsers: 50 });
  });

  it("the detail: every project, or only `project`'s; through a project, only that project", async () => {
    const all = (await get(orgReleases(A, "app%401.0/?health=1"))).json();
    expect(all.projects.map((p: ProjectEntry) => p.id).sort()).toEqual([A.project.id, A2.id].sort());
    expect(healthOf(all, A.project.id)).toMatchObject(P1_V1);
    expect(all.commitCount).toBe(0); // the rest of the detail is there as before

    const one = (await get(orgReleases(A, `app%401.0/?health=1&project=${A2.id}`))).json();
    expect(one.projects.map((p: ProjectEntry) => p.id)).toEqual([A2.id]);
    expect(healthOf(one, A2.id)).toMatchObject({ totalSessions: 2, crashFreeSessions: 100 });

    const viaProject = (await get(`/api/0/projects/${A.org.slug}/${A.project.slug}/releases/app%401.0/?health=1`)).json();
    expect(viaProject.projects.map((p: ProjectEntry) => p.id)).toEqual([A.project.id]);
    expect(healthOf(viaProject, A.project.id)).toMatchObject(P1_V1);

    const projectList = (await get(`/api/0/projects/${A.org.slug}/${A2.slug}/releases/?health=1`)).json();
    expect(projectList.map((r: { version: string }) => r.version)).toEqual(["app@1.0"]);
    expect(healthOf(projectList[0], A2.id)).toMatchObject({ totalSessions: 2, adoption: 100 });
  });

  it("pages keep health=1 in their links, each page with its own health", async () => {
    const first = await get(orgReleases(A, "?health=1&per_page=2"));
    expect(first.json().map((r: { version: string }) => r.version)).toEqual(["app@3.0", "app@2.0"]);
    const next = parseLink(first.headers.get("link")!).next!;
    expect(next.results).toBe(true);
    expect(next.url).toContain("health=1");
    const second = (await get(next.url)).json();
    expect(second.map((r: { version: string }) => r.version)).toEqual(["app@1.0", "app@0.9"]);
    expect(healthOf(second[0], A.project.id)).toMatchObject(P1_V1);
  });

  it("without health=1: the shape as before and no session read", async () => {
    const spy = vi.spyOn(db(), "$queryRaw");
    try {
      const list = (await get(orgReleases(A))).json();
      const detail = (await get(orgReleases(A, `app%401.0/?project=${A2.id}&healthStat=nonsense&summaryStatsPeriod=1y`))).json();
      for (const entry of [...list.flatMap((r: { projects: ProjectEntry[] }) => r.projects), ...detail.projects]) {
        expect(Object.keys(entry).sort()).toEqual(["hasHealthData", "id", "name", "newGroups", "platform", "platforms", "slug"]);
        expect(entry.hasHealthData).toBe(false);
      }
      expect(detail.projects).toHaveLength(2);
      const sql = spy.mock.calls.map((call) => (call[0] as unknown as { join?: (s: string) => string }).join?.("?") ?? String(call[0]));
      expect(sql.length).toBeGreaterThan(0);
      expect(sql.filter((text) => /session_(counts|users)/.test(text))).toEqual([]);

      // the same spy sees them with health=1: a fixed number per page, whatever its size
      const sessionReads = async (query: string) => {
        spy.mockClear();
        await get(orgReleases(A, query));
        return spy.mock.calls.filter((call) => /session_(counts|users)/.test((call[0] as unknown as string[]).join("?"))).length;
      };
      const onePerPage = await sessionReads("?health=1&per_page=1");
      expect(onePerPage).toBeGreaterThan(0);
      expect(await sessionReads("?health=1&per_page=4")).toBe(onePerPage);
    } finally {
      spy.mockRestore();
    }
  });

  it("bad parameters: 400 with Sentry's message; never a 500", async () => {
    for (const [query, message] of [
      ["summaryStatsPeriod=1y", /Invalid summaryStatsPeriod. Valid choices are '1h', '24h'/],
      ["healthStatsPeriod=15d", /Invalid healthStatsPeriod/],
      ["healthStat=crashes", /invalid healthStat/],
      ["summaryStatsPeriod=%00", /Invalid summaryStatsPeriod/],
      ["healthStatsPeriod=toString", /Invalid healthStatsPeriod/],
    ] as const) {
      for (const path of [orgReleases(A, `?health=1&${query}`), orgReleases(A, `app%401.0/?health=1&${query}`)]) {
        const reply = await callApi("GET", path, { token: tokens.a });
        expect(reply.status, `${path} ${reply.body}`).toBe(400);
        expect(reply.body).toMatch(message);
      }
    }
    const badProject = await callApi("GET", orgReleases(A, "app%401.0/?health=1&project=abc"), { token: tokens.a });
    expect(badProject.status).toBe(400);
  });

  it("two orgs: B's health is its own; A's project and releases are not found for B", async () => {
    const list = (await get(orgReleases(B, "?health=1"), tokens.b)).json();
    expect(list).toHaveLength(1);
    expect(list[0].projects.map((p: ProjectEntry) => p.id)).toEqual([B.project.id]);
    expect(healthOf(list[0], B.project.id)).toMatchObject({
      totalSessions: 1,
      totalUsers: 1,
      crashFreeSessions: 0,
      crashFreeUsers: 0,
      sessionsCrashed: 1,
      adoption: 100,
      totalProjectSessions24h: 1,
    });
    for (const path of [
      orgReleases(B, `app%401.0/?health=1&project=${A.project.id}`),
      orgReleases(B, "app%402.0/?health=1"),
      `/api/0/projects/${B.org.slug}/${A.project.slug}/releases/?health=1`,
      `/api/0/projects/${A.org.slug}/${A.project.slug}/releases/app%401.0/?health=1`,
    ]) {
      const reply = await callApi("GET", path, { token: tokens.b });
      expect(reply.status, path).toBe(404);
      expect(reply.body).not.toContain("healthData");
    }
    // and A's figures never count B's crashed session of the same version
    const a = (await get(orgReleases(A, "app%401.0/?health=1"))).json();
    expect(healthOf(a, A.project.id)).toMatchObject({ sessionsCrashed: 1, totalSessions: 5 });
  });
});
