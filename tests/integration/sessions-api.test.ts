import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthSparkline, percent } from "@/app/[org]/releases/health-bits";
import { db } from "@/lib/db";
import { releasesHealth } from "@/lib/sessions";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { callApi } from "../support/api";
import { drainAll } from "../support/drain";
import { envelope } from "../support/envelopes";
import { createKey, createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";

// Release health end to end: raw `session` updates and `sessions` aggregates (and the real
// @sentry/node 11 in a process of its own) through the real ingest server, drained by the
// worker's code, then read back through GET /api/0/organizations/{org}/sessions/ and the
// releases pages' releasesHealth: a known mix with exact rates, every groupBy, series per
// interval, periods, release filters, bad input, and two orgs that never see each other.

const run = promisify(execFile);
type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let A: Tenant;
let B: Tenant;
let A2: { id: number; key: { publicKey: string } };
let ingest: Awaited<ReturnType<typeof startIngest>>;
const tokens = {} as Record<"a" | "b" | "aNoScope", string>;

const HOUR = 3_600_000;
const hourNow = Math.floor(Date.now() / HOUR) * HOUR;
// Two hours of data: T1 three hours ago, T2 one hour ago (each 10 minutes into its hour).
const T1 = hourNow - 3 * HOUR + 600_000;
const T2 = hourNow - HOUR + 600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const isoZ = (ms: number) => iso(ms).replace(/\.\d{3}Z$/, "Z");

const token = async (t: Tenant, scopes: Scope[]) =>
  (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "test", scopes })).token;

type Update = { did?: string; status: string; errors?: number; init?: boolean };
/** One session: its init update, then its final one, as SDKs send them (two envelopes). */
async function session(projectId: number, publicKey: string, started: number, attrs: object, final: Update) {
  const sid = randomUUID();
  const updates = [
    { sid, did: final.did, init: true, started: iso(started), timestamp: iso(started), status: "ok", errors: 0, attrs },
    { sid, did: final.did, init: false, started: iso(started), timestamp: iso(started + 1000), status: final.status, errors: final.errors ?? 0, attrs },
  ];
  for (const update of updates) await post(projectId, publicKey, [{ type: "session", payload: JSON.stringify(update) }]);
}

async function post(projectId: number, publicKey: string, items: { type: string; payload: string }[]) {
  const body = envelope({ sent_at: new Date().toISOString() }, items);
  const reply = await send(`${ingest.base}/api/${projectId}/envelope/?sentry_key=${publicKey}`, { body });
  expect(reply.status, reply.body).toBe(200);
}

const sessionsUrl = (t: Tenant, query: string) => `/api/0/organizations/${t.org.slug}/sessions/?${query}`;
async function sessions(query: string, t: Tenant = A, tok = t === A ? tokens.a : tokens.b) {
  const reply = await callApi("GET", sessionsUrl(t, query), { token: tok });
  expect(reply.status, reply.body).toBe(200);
  return reply.json() as { start: string; end: string; intervals: string[]; groups: { by: Record<string, unknown>; totals: Record<string, number | null>; series: Record<string, (number | null)[]> }[]; query: string };
}
const ALL = "field=sum(session)&field=count_unique(user)&field=crash_free_rate(session)&field=crash_free_rate(user)";

beforeAll(async () => {
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  const project2 = await db().project.create({ data: { orgId: A.org.id, slug: `second-${A.org.slug}`, name: "Second" } });
  A2 = { id: project2.id, key: await createKey(project2.id) };
  tokens.a = await token(A, ["org:read"]);
  tokens.b = await token(B, ["event:read"]);
  tokens.aNoScope = await token(A, ["project:releases"]);
  ingest = await startIngest();

  const p1 = [A.project.id, A.key.publicKey] as const;
  const v1 = { release: "app@1.0", environment: "production" };
  // Project 1, app@1.0, production, at T1: healthy, crashed (u1 twice), errored, abnormal, no did.
  await session(...p1, T1, v1, { did: "u1", status: "exited" });
  await session(...p1, T1, v1, { did: "u1", status: "crashed", errors: 1 });
  await session(...p1, T1, v1, { did: "u2", status: "exited", errors: 1 });
  await session(...p1, T1, v1, { did: "u3", status: "abnormal" });
  await session(...p1, T1, v1, { status: "exited" });
  // Project 1, app@2.0, staging, at T2: aggregates (what server SDKs send).
  await post(...p1, [
    {
      type: "sessions",
      payload: JSON.stringify({
        attrs: { release: "app@2.0", environment: "staging" },
        aggregates: [
          { started: iso(T2), did: "u4", exited: 3 },
          { started: iso(T2), did: "u5", errored: 1, crashed: 1 },
          { started: iso(T2), exited: 4 },
        ],
      }),
    },
  ]);
  // Project 2 of A, app@1.0, production, at T2: u1 again, healthy there.
  await session(A2.id, A2.key.publicKey, T2, v1, { did: "u1", status: "exited" });
  await session(A2.id, A2.key.publicKey, T2, v1, { did: "u1", status: "exited" });
  // B: one crashed session of a release named like A's.
  await session(B.project.id, B.key.publicKey, T2, v1, { did: "b-user", status: "crashed" });

  await drainAll(A.project.id);
  await drainAll(A2.id);
  await drainAll(B.project.id);
});
afterAll(async () => {
  await ingest?.close();
});

describe("GET /api/0/organizations/{org}/sessions/", () => {
  it("totals of a known mix: sessions, users and crash-free rates exactly", async () => {
    const body = await sessions(ALL);
    expect(body.groups).toEqual([
      {
        by: {},
        totals: { "sum(session)": 16, "count_unique(user)": 5, "crash_free_rate(session)": 0.875, "crash_free_rate(user)": 0.6 },
        series: expect.any(Object),
      },
    ]);
    expect(body.query).toBe("");
  });

  it("groupBy session.status splits sessions and users (healthy, abnormal, crashed, errored)", async () => {
    const body = await sessions("field=sum(session)&field=count_unique(user)&groupBy=session.status");
    const of = (status: string) => body.groups.find((g) => g.by["session.status"] === status)?.totals;
    expect(body.groups).toHaveLength(4);
    expect(of("healthy")).toEqual({ "sum(session)": 11, "count_unique(user)": 1 });
    expect(of("errored")).toEqual({ "sum(session)": 2, "count_unique(user)": 1 });
    expect(of("crashed")).toEqual({ "sum(session)": 2, "count_unique(user)": 2 });
    expect(of("abnormal")).toEqual({ "sum(session)": 1, "count_unique(user)": 1 });
  });

  it("groupBy release, environment and project", async () => {
    const byRelease = await sessions(`${ALL}&groupBy=release`);
    expect(byRelease.groups.map((g) => [g.by, g.totals])).toEqual([
      [{ release: "app@2.0" }, { "sum(session)": 9, "count_unique(user)": 2, "crash_free_rate(session)": 1 - 1 / 9, "crash_free_rate(user)": 0.5 }],
      [{ release: "app@1.0" }, { "sum(session)": 7, "count_unique(user)": 3, "crash_free_rate(session)": 1 - 1 / 7, "crash_free_rate(user)": 1 - 1 / 3 }],
    ]);
    const byEnv = await sessions("field=sum(session)&groupBy=environment");
    expect(byEnv.groups.map((g) => [g.by, g.totals["sum(session)"]])).toEqual([
      [{ environment: "staging" }, 9],
      [{ environment: "production" }, 7],
    ]);
    const byProject = await sessions("field=sum(session)&field=count_unique(user)&groupBy=project&groupBy=release");
    expect(byProject.groups.map((g) => [g.by, g.totals])).toEqual([
      [{ project: A.project.id, release: "app@2.0" }, { "sum(session)": 9, "count_unique(user)": 2 }],
      [{ project: A.project.id, release: "app@1.0" }, { "sum(session)": 5, "count_unique(user)": 3 }],
      [{ project: A2.id, release: "app@1.0" }, { "sum(session)": 2, "count_unique(user)": 1 }],
    ]);
    const one = await sessions(`field=sum(session)&project=${A2.id}`);
    expect(one.groups[0]!.totals).toEqual({ "sum(session)": 2 });
    const both = await sessions(`field=sum(session)&project=${A2.id}&project=${A.project.id}`);
    expect(both.groups[0]!.totals).toEqual({ "sum(session)": 16 });
  });

  it("series per interval, hourly and daily, with Sentry's interval bounds", async () => {
    const body = await sessions("field=sum(session)&field=crash_free_rate(session)&statsPeriod=24h&interval=1h");
    // The start's hour through the current one: 25 hourly points.
    expect(body.intervals).toHaveLength(25);
    expect(body.intervals[0]).toBe(isoZ(hourNow - 24 * HOUR));
    expect(body.end).toBe(isoZ(hourNow + HOUR));
    const series = body.groups[0]!.series["sum(session)"]!;
    expect(series[body.intervals.indexOf(isoZ(hourNow - 3 * HOUR))]).toBe(5);
    expect(series[body.intervals.indexOf(isoZ(hourNow - HOUR))]).toBe(11);
    expect(series.reduce((a, b) => a! + b!, 0)).toBe(16);
    const rates = body.groups[0]!.series["crash_free_rate(session)"]!;
    expect(rates[body.intervals.indexOf(isoZ(hourNow - 3 * HOUR))]).toBe(0.8);
    expect(rates[body.intervals.indexOf(isoZ(hourNow - HOUR))]).toBe(1 - 1 / 11);
    expect(rates[0]).toBeNull();

    const daily = await sessions("field=sum(session)&statsPeriod=14d&interval=1d");
    expect(daily.intervals).toHaveLength(15);
    expect(daily.intervals.every((t) => t.endsWith("T00:00:00Z"))).toBe(true);
    expect(daily.groups[0]!.series["sum(session)"]!.reduce((a, b) => a! + b!, 0)).toBe(16);

    const sixHours = await sessions("field=sum(session)&statsPeriod=24h&interval=6h");
    expect(sixHours.intervals.every((t) => /T(00|06|12|18):00:00Z$/.test(t))).toBe(true);
  });

  it("start and end pick whole intervals", async () => {
    const body = await sessions(`field=sum(session)&start=${iso(T1 - 600_000)}&end=${iso(T1 - 600_000 + HOUR)}`);
    expect(body.intervals).toEqual([isoZ(T1 - 600_000)]);
    expect(body.groups[0]!.totals).toEqual({ "sum(session)": 5 });
    // an end inside an hour takes that hour
    const wider = await sessions(`field=sum(session)&start=${iso(T1 - 600_000)}&end=${iso(T2)}`);
    expect(wider.intervals).toHaveLength(3);
    expect(wider.groups[0]!.totals).toEqual({ "sum(session)": 16 });
  });

  it("query: release:X, release:\"X\", environment:Y, OR between releases", async () => {
    const total = async (query: string, extra = "") =>
      (await sessions(`field=sum(session)&query=${encodeURIComponent(query)}${extra}`)).groups[0]!.totals["sum(session)"];
    expect(await total("release:app@2.0")).toBe(9);
    expect(await total('release:"app@1.0"')).toBe(7);
    expect(await total("environment:staging")).toBe(9);
    expect(await total("release:app@1.0 OR release:app@2.0")).toBe(16);
    expect(await total('release:["app@1.0", app@2.0]')).toBe(16);
    expect(await total("release:app@1.0 environment:staging")).toBe(0);
    expect(await total("release:nope")).toBe(0);
    expect(await total("", "&environment=production")).toBe(7);
    const echoed = await sessions(`field=sum(session)&query=${encodeURIComponent("release:app@2.0")}`);
    expect(echoed.query).toBe("release:app@2.0");
  });

  it("bad field, groupBy, interval, period and query: 400 with a clear message", async () => {
    const cases: [string, RegExp][] = [
      ["groupBy=release", /missing a "field"/],
      ["field=sum(transaction)", /Invalid field: "sum\(transaction\)"/],
      ["field=sum(session)&groupBy=os", /Invalid groupBy: "os"/],
      ["field=crash_free_rate(session)&groupBy=session.status", /Cannot group field crash_free_rate\(session\) by session.status/],
      ["field=sum(session)&interval=30m", /multiple of the minimum interval of one hour/],
      ["field=sum(session)&interval=2d", /less than one day/],
      ["field=sum(session)&interval=5h", /divide one day/],
      ["field=sum(session)&interval=soon", /interval/],
      ["field=sum(session)&statsPeriod=90d&interval=1h", /too many results/],
      ["field=sum(session)&statsPeriod=forever", /statsPeriod/],
      ["field=sum(session)&start=2026-01-01T00:00:00Z", /start and end go together/],
      ["field=sum(session)&start=yesterday&end=today", /not a date/],
      ["field=sum(session)&query=transaction:checkout", /cannot filter on "transaction"/],
      ["field=sum(session)&query=release:app*", /wildcard/],
      ["field=sum(session)&query=!release:x", /negated/],
      ["field=sum(session)&query=release:a OR environment:b", /same key/],
      ["field=sum(session)&project=abc", /numeric ids/],
      ["field=sum(session)&environment=prod%00uction", /NUL/],
      ["field=sum(session)&query=release%3Aa%00b", /NUL/],
      [`field=sum(session)&environment=${"e".repeat(65)}`, /64 characters/],
      [`field=sum(session)&query=release:${"r".repeat(201)}`, /longer than 200/],
    ];
    for (const [query, message] of cases) {
      const reply = await callApi("GET", sessionsUrl(A, query), { token: tokens.a });
      expect(reply.status, query).toBe(400);
      expect(reply.json().detail, query).toMatch(message);
    }
    // 90 days at one day per point is fine
    await sessions("field=sum(session)&statsPeriod=90d&interval=1d");
  });

  it("two orgs: B never sees A's sessions, A's project ids are not found for B", async () => {
    const mine = await sessions(`${ALL}&groupBy=release`, B);
    expect(mine.groups).toEqual([
      {
        by: { release: "app@1.0" },
        totals: { "sum(session)": 1, "count_unique(user)": 1, "crash_free_rate(session)": 0, "crash_free_rate(user)": 0 },
        series: expect.any(Object),
      },
    ]);
    for (const id of [A.project.id, A2.id]) {
      const reply = await callApi("GET", sessionsUrl(B, `field=sum(session)&project=${id}`), { token: tokens.b });
      expect(reply.status).toBe(404);
      expect(reply.body).not.toContain("app@");
    }
    const mixed = await callApi("GET", sessionsUrl(B, `field=sum(session)&project=${B.project.id}&project=${A.project.id}`), { token: tokens.b });
    expect(mixed.status).toBe(404);
    // B's token on A's org: not found; a token without the scope: 403
    expect((await callApi("GET", sessionsUrl(A, "field=sum(session)"), { token: tokens.b })).status).toBe(404);
    expect((await callApi("GET", sessionsUrl(A, "field=sum(session)"), { token: tokens.aNoScope })).status).toBe(403);
    expect((await callApi("GET", sessionsUrl(A, "field=sum(session)"))).status).toBe(401);
  });
});

describe("the official @sentry/node 11", () => {
  // The SDK's processSessionIntegration starts a session of the process at init (setUser gives
  // it the user); the first startSession ends it. Then one session ended by hand and one that an
  // uncaught exception crashes (the SDK flushes, then exits 1): three sessions, one crashed.
  it("the process session, startSession/endSession and an uncaught exception: 3 sessions, 1 crashed, 1 user", async () => {
    const t = await createOrgWithProject();
    const dsn = `http://${t.key.publicKey}@${ingest.base.replace(/^http:\/\//, "")}/${t.project.id}`;
    const script = `
      import * as Sentry from "@sentry/node";
      Sentry.init({ dsn: process.env.SENTRY_DSN, release: "sdk@1.0", environment: "sdk", sendClientReports: false });
      Sentry.setUser({ id: "sdk-user" });
      Sentry.startSession();
      Sentry.endSession();
      Sentry.startSession();
      setTimeout(() => { throw new Error("checkout crashed"); }, 10);`;
    const exit = await run(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, SENTRY_DSN: dsn } }).then(
      () => 0,
      (error: { code: number }) => error.code,
    );
    expect(exit).toBe(1);
    await drainAll(t.project.id);
    const tok = await token(t, ["org:read"]);
    const reply = await callApi("GET", sessionsUrl(t, `${ALL}&groupBy=release&groupBy=environment`), { token: tok });
    expect(reply.json().groups.map((g: { by: object; totals: object }) => [g.by, g.totals])).toEqual([
      [{ release: "sdk@1.0", environment: "sdk" }, { "sum(session)": 3, "count_unique(user)": 1, "crash_free_rate(session)": 1 - 1 / 3, "crash_free_rate(user)": 0 }],
    ]);
    const status = await callApi("GET", sessionsUrl(t, "field=sum(session)&field=count_unique(user)&groupBy=session.status"), { token: tok });
    const of = (s: string) => status.json().groups.find((g: { by: Record<string, string> }) => g.by["session.status"] === s).totals;
    expect(of("crashed")).toEqual({ "sum(session)": 1, "count_unique(user)": 1 });
    expect(of("healthy")).toEqual({ "sum(session)": 2, "count_unique(user)": 0 });
    expect(of("errored")).toEqual({ "sum(session)": 0, "count_unique(user)": 0 });
  });
});

describe("releasesHealth (the releases pages)", () => {
  it("crash-free sessions and users, adoption and a series per release; B sees none of A's", async () => {
    const viewer = { userId: A.user.id, orgId: A.org.id, role: "owner" as const };
    const health = await releasesHealth(viewer, ["app@1.0", "app@2.0", "never@1"]);
    const v1 = health.get("app@1.0")!;
    expect(v1).toMatchObject({ sessions: 7, users: 3, crashFreeSessions: 1 - 1 / 7, crashFreeUsers: 1 - 1 / 3, sessions24h: 7 });
    // project 1 had 14 sessions in 24 h (5 of app@1.0), project 2 had 2 (both app@1.0)
    expect(v1.adoption).toBe(7 / 16);
    expect(health.get("app@2.0")!.adoption).toBe(9 / 14);
    expect(v1.sessionSeries).toHaveLength(24);
    expect(v1.sessionSeries.at(-4)).toBe(5);
    expect(v1.sessionSeries.at(-2)).toBe(2);
    expect(v1.crashFreeSeries.at(-4)).toBe(0.8);
    expect(health.get("never@1")).toMatchObject({ sessions: 0, users: 0, crashFreeSessions: null, crashFreeUsers: null, adoption: null });

    const onlyProject2 = await releasesHealth(viewer, ["app@1.0"], { projectId: A2.id, period: "14d" });
    expect(onlyProject2.get("app@1.0")).toMatchObject({ sessions: 2, users: 1, crashFreeSessions: 1, adoption: 1 });
    expect(onlyProject2.get("app@1.0")!.sessionSeries).toHaveLength(14);

    const bViewer = { userId: B.user.id, orgId: B.org.id, role: "owner" as const };
    expect((await releasesHealth(bViewer, ["app@1.0"])).get("app@1.0")).toMatchObject({ sessions: 1, users: 1, crashFreeSessions: 0, adoption: 1 });
    await expect(releasesHealth(bViewer, ["app@1.0"], { projectId: A.project.id })).rejects.toThrow(/no such project/);
  });
});

describe("the releases pages' health bits", () => {
  it("the sparkline is inline SVG (no script, no style attribute: the CSP allows it), red where under 99% crash-free", async () => {
    const viewer = { userId: A.user.id, orgId: A.org.id, role: "owner" as const };
    const health = (await releasesHealth(viewer, ["app@1.0"])).get("app@1.0")!;
    const svg = renderToStaticMarkup(createElement(HealthSparkline, { health, label: "app@1.0 sessions" }));
    expect(svg).toMatch(/^<svg[^>]*role="img"[^>]*aria-label="app@1.0 sessions"/);
    expect(svg).not.toMatch(/<script|style=/);
    // two hours with sessions: the crashed one (80%) red, the other blue
    expect(svg.match(/<rect/g)).toHaveLength(2);
    expect(svg).toContain('fill="#dc2626"');
    expect(svg).toContain("5 sessions, 80.00% crash-free");
    expect([percent(null), percent(1), percent(1 - 1 / 7), percent(0.99999), percent(0.29)]).toEqual(["n/a", "100%", "85.71%", "99.99%", "29.00%"]);
  });
});
