import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { nextScheduledTime } from "@/lib/monitors/schedule";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { callApi, parseLink, startApiServer } from "../support/api";
import { drainAll } from "../support/drain";
import { createOrgWithProject } from "../support/factories";
import { startIngest } from "../support/ingest";
import { ROOT } from "../support/processes";
import { SENTRY_CLI } from "../support/sentry-cli";

// The monitors REST API (Sentry's organization monitor endpoints) through callApi, with two
// orgs (404 across them, nothing of A changed), token scopes, paging, bad configs, duplicates,
// and the real sentry-cli's `monitors list` over HTTP.

const run = promisify(execFile);
const NOT_FOUND = { detail: "The requested resource does not exist" };

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let A: Tenant;
let B: Tenant;
let server: Awaited<ReturnType<typeof startApiServer>>;
const tokens = {} as Record<"a" | "aRead" | "aEvent" | "aCi" | "b", string>;

const token = async (t: Tenant, scopes: Scope[]) =>
  (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "test", scopes })).token;
const monitorsPath = (t: Tenant, rest = "") => `/api/0/organizations/${t.org.slug}/monitors/${rest}`;

const hourly = { schedule_type: "crontab", schedule: "0 * * * *", checkin_margin: 5, max_runtime: 10, timezone: "Europe/Berlin" };

async function create(t: Tenant, body: Record<string, unknown>, tok = t === A ? tokens.a : tokens.b) {
  return callApi("POST", monitorsPath(t), { token: tok, body: { project: t.project.slug, ...body } });
}

/** A stored check-in of a monitor, as the check-in path or the minute job leaves them. */
async function checkIn(
  monitorId: number,
  envId: number,
  projectId: number,
  at: Date,
  status: string,
  extra: { durationMs?: number; expectedTime?: Date; checkInId?: string } = {},
) {
  const checkInId = extra.checkInId ?? crypto.randomUUID().replaceAll("-", "");
  return db().checkIn.create({
    data: {
      projectId,
      checkInId,
      monitorSlug: "x",
      monitorId,
      monitorEnvironmentId: envId,
      status,
      durationMs: extra.durationMs ?? null,
      expectedTime: extra.expectedTime ?? null,
      createdAt: at,
      updatedAt: at,
      payload: {},
    },
  });
}

beforeAll(async () => {
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  tokens.a = await token(A, ["project:write", "org:read"]);
  tokens.aRead = await token(A, ["project:read"]);
  tokens.aEvent = await token(A, ["event:read", "event:write"]);
  tokens.aCi = await token(A, ["org:ci"]);
  tokens.b = await token(B, ["project:write", "org:read"]);
  server = await startApiServer();
});
afterAll(async () => {
  await server?.close();
});

describe("creating and reading monitors", () => {
  it("POST makes a monitor in Sentry's shape; GET lists and reads it", async () => {
    const res = await create(A, { name: "Nightly report", slug: "nightly-report", config: hourly });
    expect(res.status, res.body).toBe(201);
    const monitor = res.json();
    expect(monitor).toEqual({
      id: expect.stringMatching(/^\d+$/),
      slug: "nightly-report",
      name: "Nightly report",
      status: "active",
      isMuted: false,
      project: { id: String(A.project.id), slug: A.project.slug, name: A.project.name },
      dateCreated: expect.any(String),
      config: {
        schedule_type: "crontab",
        schedule: "0 * * * *",
        checkin_margin: 5,
        max_runtime: 10,
        timezone: "Europe/Berlin",
        failure_issue_threshold: 1,
        recovery_threshold: 1,
      },
      environments: [],
    });
    const got = await callApi("GET", monitorsPath(A, "nightly-report/"), { token: tokens.aRead });
    expect(got.status, got.body).toBe(200);
    expect(got.json()).toEqual(monitor);
    const list = await callApi("GET", monitorsPath(A), { token: tokens.aRead });
    expect(list.status).toBe(200);
    expect(list.json().map((m: { slug: string }) => m.slug)).toContain("nightly-report");
    const audit = await db().auditLog.findMany({ where: { orgId: A.org.id, action: "monitor.create", targetId: monitor.id } });
    expect(audit).toHaveLength(1);
  });

  it("makes the slug from the name; interval schedules read as [n, unit]; isMuted and is_muted both work", async () => {
    const res = await create(A, { name: "Sync Users (EU)", config: { schedule_type: "interval", schedule: [10, "minute"] }, is_muted: true });
    expect(res.status, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      slug: "sync-users-eu",
      isMuted: true,
      config: { schedule_type: "interval", schedule: [10, "minute"], checkin_margin: 1, max_runtime: 30, timezone: "UTC" },
    });
    const muted = await create(A, { name: "Other", slug: "other_job", config: { schedule: "@daily" }, isMuted: true, status: "disabled" });
    expect(muted.status, muted.body).toBe(201);
    expect(muted.json()).toMatchObject({ slug: "other_job", isMuted: true, status: "disabled", config: { schedule: "@daily" } });
  });

  it("refuses bad configs and bodies with a 400 that says why", async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ name: "x", config: { schedule_type: "crontab", schedule: "61 * * * *" } }, /Invalid config: invalid crontab/],
      [{ name: "x", config: { schedule: "* * * * * *" } }, /5 fields/],
      [{ name: "x", config: { schedule: "0 * * * *", timezone: "Mars/Olympus" } }, /timezone/],
      [{ name: "x", config: { schedule: "0 * * * *", checkin_margin: 0 } }, /checkin_margin/],
      [{ name: "x", config: { schedule: "0 * * * *", max_runtime: 1e9 } }, /max_runtime/],
      [{ name: "x", config: { schedule_type: "interval", schedule: [1, "fortnight"] } }, /interval unit/],
      [{ name: "x", config: { schedule: 5 } }, /crontab schedule must be a string/],
      [{ name: "x", config: "0 * * * *" }, /config/],
      [{ name: "", config: hourly }, /name/],
      [{ config: hourly }, /name/],
      [{ name: "x", slug: "Bad Slug", config: hourly }, /slug/],
      [{ name: "x", slug: "12345", config: hourly }, /digits/],
      [{ name: "x\u0000y", config: hourly }, /NUL/],
      [{ name: "x", config: hourly, project: "no-such-project" }, /Invalid project/],
      [{ name: "x", config: hourly, project: B.project.id }, /Invalid project/],
      [{ name: "x", config: hourly, status: "paused" }, /status/],
    ];
    for (const [body, message] of bad) {
      const res = await create(A, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json().detail, JSON.stringify(body)).toMatch(message);
    }
    const malformed = await callApi("POST", monitorsPath(A), { token: tokens.a, rawBody: "{nope" });
    expect(malformed.status).toBe(400);
    expect(await db().monitor.count({ where: { orgId: A.org.id, name: "x" } })).toBe(0);
  });

  it("answers 409 for a slug the project has, and lets another project (and org) use it", async () => {
    expect((await create(A, { name: "dup", slug: "dup-job", config: hourly })).status).toBe(201);
    const again = await create(A, { name: "dup 2", slug: "dup-job", config: hourly });
    expect(again.status).toBe(409);
    expect(again.json().detail).toMatch(/already exists/);
    expect((await create(B, { name: "dup", slug: "dup-job", config: hourly })).status).toBe(201);
  });
});

describe("a slug in two projects of the org", () => {
  it("needs ?project= (id or slug) to say which; without it 400", async () => {
    const second = await db().project.create({ data: { orgId: A.org.id, slug: `second-${A.project.id}`, name: "Second" } });
    expect((await create(A, { name: "twin", slug: "twin", config: hourly })).status).toBe(201);
    const res = await callApi("POST", monitorsPath(A), { token: tokens.a, body: { project: second.id, name: "twin", slug: "twin", config: hourly } });
    expect(res.status, res.body).toBe(201);

    const ambiguous = await callApi("GET", monitorsPath(A, "twin/"), { token: tokens.a });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.json().detail).toMatch(/several projects.*\?project=/);
    const byId = await callApi("GET", monitorsPath(A, `twin/?project=${second.id}`), { token: tokens.a });
    expect(byId.json().project.id).toBe(String(second.id));
    const bySlug = await callApi("GET", monitorsPath(A, `twin/?project=${A.project.slug}`), { token: tokens.a });
    expect(bySlug.json().project.id).toBe(String(A.project.id));
    expect((await callApi("PUT", monitorsPath(A, "twin/"), { token: tokens.a, body: { name: "y" } })).status).toBe(400);
    expect((await callApi("DELETE", monitorsPath(A, "twin/"), { token: tokens.a })).status).toBe(400);
    expect((await callApi("GET", monitorsPath(A, "twin/checkins/"), { token: tokens.a })).status).toBe(400);
    // another org's project id is no project of this org
    expect((await callApi("GET", monitorsPath(A, `twin/?project=${B.project.id}`), { token: tokens.a })).status).toBe(404);

    const filtered = await callApi("GET", monitorsPath(A, `?project=${second.id}`), { token: tokens.a });
    expect(filtered.json().map((m: { slug: string }) => m.slug)).toEqual(["twin"]);
    const both = await callApi("GET", monitorsPath(A, `?project=${second.id}&project=${A.project.id}&query=TWI`), { token: tokens.a });
    expect(both.json().map((m: { project: { id: string } }) => m.project.id).sort()).toEqual([String(A.project.id), String(second.id)].sort());
    expect((await callApi("GET", monitorsPath(A, `?project=${B.project.id}`), { token: tokens.a })).status).toBe(404);
  });
});

describe("updating", () => {
  it("PUT changes name, mute and config; a new schedule moves every environment's next check-in", async () => {
    const created = (await create(A, { name: "Reschedule", slug: "reschedule", config: hourly })).json();
    const monitorId = Number(created.id);
    const old = new Date("2020-01-01T00:00:00Z");
    const [prod, staging] = await Promise.all(
      ["", "staging"].map((environment) =>
        db().monitorEnvironment.create({ data: { monitorId, environment, status: "ok", lastCheckIn: old, nextCheckIn: old, nextCheckInLatest: old } }),
      ),
    );
    const before = new Date();
    const res = await callApi("PUT", monitorsPath(A, "reschedule/"), {
      token: tokens.a,
      body: { name: "Every 5", isMuted: true, config: { schedule: "*/5 * * * *", timezone: "UTC", checkin_margin: 3 } },
    });
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      name: "Every 5",
      isMuted: true,
      // the keys not given keep their values
      config: { schedule_type: "crontab", schedule: "*/5 * * * *", checkin_margin: 3, max_runtime: 10, timezone: "UTC" },
      environments: [
        { name: "production", status: "ok", isMuted: true },
        { name: "staging", status: "ok" },
      ],
    });
    const expected = nextScheduledTime({ scheduleType: "crontab", schedule: "*/5 * * * *", timezone: "UTC" }, before);
    for (const env of [prod!, staging!]) {
      const row = await db().monitorEnvironment.findUniqueOrThrow({ where: { id: env.id } });
      expect(row.nextCheckIn?.getTime()).toBe(expected.getTime());
      expect(row.nextCheckInLatest?.getTime()).toBe(expected.getTime() + 3 * 60_000);
      // the state of the environment stays
      expect(row.lastCheckIn?.getTime()).toBe(old.getTime());
    }
    expect(res.json().environments[0].nextCheckIn).toBe(expected.toISOString());

    // a name-only change leaves the schedule alone
    await db().monitorEnvironment.update({ where: { id: prod!.id }, data: { nextCheckIn: old } });
    expect((await callApi("PUT", monitorsPath(A, "reschedule/"), { token: tokens.a, body: { is_muted: false } })).json().isMuted).toBe(false);
    expect((await db().monitorEnvironment.findUniqueOrThrow({ where: { id: prod!.id } })).nextCheckIn?.getTime()).toBe(old.getTime());

    // to an interval: counted from the edit
    const t0 = Date.now();
    const interval = await callApi("PUT", monitorsPath(A, "reschedule/"), { token: tokens.a, body: { config: { schedule_type: "interval", schedule: [2, "hour"] } } });
    expect(interval.json().config).toMatchObject({ schedule_type: "interval", schedule: [2, "hour"] });
    const next = (await db().monitorEnvironment.findUniqueOrThrow({ where: { id: prod!.id } })).nextCheckIn!.getTime();
    expect(next).toBeGreaterThan(t0 + 2 * 3_600_000 - 61_000);
    expect(next).toBeLessThanOrEqual(Date.now() + 2 * 3_600_000);
    // disabled, then enabled again: the stale next check-in counts from the re-enabling
    expect((await callApi("PUT", monitorsPath(A, "reschedule/"), { token: tokens.a, body: { status: "disabled" } })).json().status).toBe("disabled");
    await db().monitorEnvironment.update({ where: { id: prod!.id }, data: { nextCheckIn: old, nextCheckInLatest: old } });
    const t1 = Date.now();
    expect((await callApi("PUT", monitorsPath(A, "reschedule/"), { token: tokens.a, body: { status: "active" } })).json().status).toBe("active");
    const enabled = await db().monitorEnvironment.findUniqueOrThrow({ where: { id: prod!.id } });
    expect(enabled.nextCheckIn!.getTime()).toBeGreaterThan(t1 + 2 * 3_600_000 - 61_000);
    expect(enabled.nextCheckInLatest!.getTime()).toBe(enabled.nextCheckIn!.getTime() + 3 * 60_000);
    expect(await db().auditLog.count({ where: { orgId: A.org.id, action: "monitor.update", targetId: created.id } })).toBe(5);
  });

  it("PUT renames the slug (409 onto a taken one) and refuses a bad config without changing anything", async () => {
    await create(A, { name: "Rename me", slug: "rename-me", config: hourly });
    await create(A, { name: "Taken", slug: "taken", config: hourly });
    expect((await callApi("PUT", monitorsPath(A, "rename-me/"), { token: tokens.a, body: { slug: "taken" } })).status).toBe(409);
    const bad = await callApi("PUT", monitorsPath(A, "rename-me/"), { token: tokens.a, body: { name: "changed", config: { schedule: "nope" } } });
    expect(bad.status).toBe(400);
    expect((await db().monitor.findFirstOrThrow({ where: { orgId: A.org.id, slug: "rename-me" } })).name).toBe("Rename me");
    const renamed = await callApi("PUT", monitorsPath(A, "rename-me/"), { token: tokens.a, body: { slug: "renamed" } });
    expect(renamed.status).toBe(200);
    expect(renamed.json().slug).toBe("renamed");
    expect((await callApi("GET", monitorsPath(A, "rename-me/"), { token: tokens.a })).status).toBe(404);
    expect((await callApi("PUT", monitorsPath(A, "renamed/"), { token: tokens.a, body: { isMuted: "yes" } })).status).toBe(400);
  });
});

describe("check-ins", () => {
  it("lists a monitor's check-ins newest first in Sentry's shape, paged with Link headers, by environment", async () => {
    const created = (await create(A, { name: "Check-ins", slug: "with-checkins", config: hourly })).json();
    const monitorId = Number(created.id);
    const prod = await db().monitorEnvironment.create({ data: { monitorId, environment: "" } });
    const staging = await db().monitorEnvironment.create({ data: { monitorId, environment: "staging" } });
    const base = Date.parse("2026-01-01T10:00:00Z");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const row = await checkIn(monitorId, i === 2 ? staging.id : prod.id, A.project.id, new Date(base + i * 3_600_000), i === 3 ? "missed" : "ok", {
        durationMs: i === 3 ? undefined : 1234.6,
        expectedTime: new Date(base + i * 3_600_000),
      });
      ids.push(row.checkInId);
    }
    // another monitor's check-ins are not listed
    const other = (await create(A, { name: "Other checkins", config: hourly })).json();
    await checkIn(Number(other.id), (await db().monitorEnvironment.create({ data: { monitorId: Number(other.id), environment: "" } })).id, A.project.id, new Date(base), "error");

    const first = await callApi("GET", monitorsPath(A, "with-checkins/checkins/?per_page=2"), { token: tokens.aRead });
    expect(first.status, first.body).toBe(200);
    const dashed = (hex: string) => hex.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
    expect(first.json()).toEqual([
      {
        id: dashed(ids[4]!),
        status: "ok",
        duration: 1235,
        dateCreated: new Date(base + 4 * 3_600_000).toISOString(),
        dateUpdated: new Date(base + 4 * 3_600_000).toISOString(),
        environment: "production",
        expectedTime: new Date(base + 4 * 3_600_000).toISOString(),
        release: null,
      },
      expect.objectContaining({ id: dashed(ids[3]!), status: "missed", duration: null }),
    ]);
    const links = parseLink(first.headers.get("link"));
    expect(links.previous?.results).toBe(false);
    expect(links.next?.results).toBe(true);
    const second = await callApi("GET", links.next!.url, { token: tokens.aRead });
    expect(second.json().map((c: { id: string }) => c.id)).toEqual([dashed(ids[2]!), dashed(ids[1]!)]);
    expect(second.json()[0].environment).toBe("staging");
    const third = await callApi("GET", parseLink(second.headers.get("link")).next!.url, { token: tokens.aRead });
    expect(third.json().map((c: { id: string }) => c.id)).toEqual([dashed(ids[0]!)]);
    expect(parseLink(third.headers.get("link")).next?.results).toBe(false);
    const back = await callApi("GET", parseLink(third.headers.get("link")).previous!.url, { token: tokens.aRead });
    expect(back.json().map((c: { id: string }) => c.id)).toEqual([dashed(ids[2]!), dashed(ids[1]!)]);

    const onlyStaging = await callApi("GET", monitorsPath(A, "with-checkins/checkins/?environment=staging"), { token: tokens.aRead });
    expect(onlyStaging.json().map((c: { id: string }) => c.id)).toEqual([dashed(ids[2]!)]);
    const onlyProd = await callApi("GET", monitorsPath(A, "with-checkins/checkins/?environment=production"), { token: tokens.aRead });
    expect(onlyProd.json()).toHaveLength(4);

    expect((await callApi("GET", monitorsPath(A, "with-checkins/checkins/?cursor=bogus"), { token: tokens.aRead })).status).toBe(400);
    expect((await callApi("GET", monitorsPath(A, "with-checkins/checkins/?cursor=99999999999999999:1:0"), { token: tokens.aRead })).status).toBe(400);
    expect((await callApi("GET", monitorsPath(A, "no-such-monitor/checkins/"), { token: tokens.aRead })).status).toBe(404);
  });
});

describe("hostile input", () => {
  it("odd slugs, params and bodies are 400 or 404, never 500", async () => {
    await create(A, { name: "Target", slug: "target", config: hourly });
    const cases: [string, string, unknown, number][] = [
      ["GET", monitorsPath(A, "%00/"), undefined, 404],
      ["GET", monitorsPath(A, `${"a".repeat(500)}/`), undefined, 404],
      ["GET", monitorsPath(A, "..%2F..%2Fetc/"), undefined, 404],
      ["GET", monitorsPath(A, `target/?project=${"9".repeat(30)}`), undefined, 404],
      ["GET", monitorsPath(A, `target/?project=${"x".repeat(300)}`), undefined, 400],
      ["GET", monitorsPath(A, "target/?project=%00"), undefined, 404],
      ["GET", monitorsPath(A, "?query=%00"), undefined, 400],
      ["GET", monitorsPath(A, "?per_page=0"), undefined, 400],
      ["GET", monitorsPath(A, "?cursor=0:99999999999:0"), undefined, 400],
      ["GET", monitorsPath(A, "target/checkins/?environment=%00"), undefined, 400],
      // a cursor before 1970 is a valid time with nothing older
      ["GET", monitorsPath(A, "target/checkins/?cursor=-5:1:0"), undefined, 200],
      ["PUT", monitorsPath(A, "target/"), [1, 2], 400],
      ["PUT", monitorsPath(A, "target/"), null, 400],
      ["PUT", monitorsPath(A, "target/"), { config: { checkin_margin: "5" } }, 400],
      ["PUT", monitorsPath(A, "target/"), { config: { schedule_type: "interval", schedule: [1e308, "minute"] } }, 400],
      ["PUT", monitorsPath(A, "target/"), { name: "x".repeat(129) }, 400],
      ["POST", monitorsPath(A), { project: A.project.id, name: "y", config: { schedule: "0 0 31 2 *" } }, 400],
      ["POST", monitorsPath(A), { project: A.project.id, name: "y", config: { schedule: "0 * * * *", timezone: "../../etc/passwd" } }, 400],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await callApi(method as "GET", path, { token: tokens.a, body });
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}: ${res.body}`).toBe(status);
    }
    expect((await callApi("GET", monitorsPath(A, "target/"), { token: tokens.a })).json().config).toMatchObject(hourly);
  });
});

describe("deleting", () => {
  it("DELETE answers 202 and removes the monitor with its environments and check-ins", async () => {
    const created = (await create(A, { name: "Doomed", slug: "doomed", config: hourly })).json();
    const monitorId = Number(created.id);
    const env = await db().monitorEnvironment.create({ data: { monitorId, environment: "" } });
    await checkIn(monitorId, env.id, A.project.id, new Date(), "ok");
    const res = await callApi("DELETE", monitorsPath(A, "doomed/"), { token: tokens.a });
    expect(res.status).toBe(202);
    expect(await db().monitor.count({ where: { id: monitorId } })).toBe(0);
    expect(await db().monitorEnvironment.count({ where: { monitorId } })).toBe(0);
    expect(await db().checkIn.count({ where: { monitorEnvironmentId: env.id } })).toBe(0);
    expect((await callApi("GET", monitorsPath(A, "doomed/"), { token: tokens.a })).status).toBe(404);
    expect((await callApi("DELETE", monitorsPath(A, "doomed/"), { token: tokens.a })).status).toBe(404);
    expect(await db().auditLog.count({ where: { orgId: A.org.id, action: "monitor.delete", targetId: created.id } })).toBe(1);
  });
});

describe("tenancy and scopes", () => {
  it("another org's monitor is 404 on every route and stays as it was", async () => {
    const created = (await create(A, { name: "Private", slug: "private-job", config: hourly })).json();
    const env = await db().monitorEnvironment.create({ data: { monitorId: Number(created.id), environment: "" } });
    await checkIn(Number(created.id), env.id, A.project.id, new Date(), "ok");
    const before = await db().monitor.findUniqueOrThrow({ where: { id: Number(created.id) } });
    // B's token on B's org path, naming A's slug
    for (const [method, path, body] of [
      ["GET", monitorsPath(B, "private-job/"), undefined],
      ["PUT", monitorsPath(B, "private-job/"), { name: "pwned", isMuted: true }],
      ["DELETE", monitorsPath(B, "private-job/"), undefined],
      ["GET", monitorsPath(B, "private-job/checkins/"), undefined],
      ["GET", monitorsPath(B, `private-job/?project=${A.project.id}`), undefined],
      ["PUT", monitorsPath(B, `private-job/?project=${A.project.slug}`), { name: "pwned" }],
      ["GET", monitorsPath(B, `?project=${A.project.id}`), undefined],
    ] as const) {
      const res = await callApi(method, path, { token: tokens.b, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json()).toEqual(NOT_FOUND);
    }
    // B's token on A's org path
    for (const method of ["GET", "PUT", "DELETE"] as const) {
      const res = await callApi(method, monitorsPath(A, "private-job/"), { token: tokens.b, body: method === "PUT" ? { name: "pwned" } : undefined });
      expect(res.status, method).toBe(404);
    }
    expect((await callApi("GET", monitorsPath(A), { token: tokens.b })).status).toBe(404);
    expect((await callApi("POST", monitorsPath(A), { token: tokens.b, body: { project: A.project.id, name: "x", config: hourly } })).status).toBe(404);
    expect((await callApi("GET", monitorsPath(A, "private-job/checkins/"), { token: tokens.b })).status).toBe(404);
    // B's list never shows A's monitors, nor can B create in A's project
    const listB = (await callApi("GET", monitorsPath(B), { token: tokens.b })).json();
    expect(listB.map((m: { project: { id: string } }) => m.project.id).every((id: string) => id === String(B.project.id))).toBe(true);
    expect((await create(B, { project: A.project.id, name: "sneaky", config: hourly })).status).toBe(400);

    expect(await db().monitor.findUniqueOrThrow({ where: { id: Number(created.id) } })).toEqual(before);
    expect(await db().checkIn.count({ where: { monitorId: Number(created.id) } })).toBe(1);
  });

  it("reading takes project:read, org:read or org:ci; writing project:write or org:ci; no token 401", async () => {
    await create(A, { name: "Scoped", slug: "scoped", config: hourly });
    expect((await callApi("GET", monitorsPath(A), { token: tokens.aEvent })).status).toBe(403);
    expect((await callApi("GET", monitorsPath(A, "scoped/"), { token: tokens.aEvent })).status).toBe(403);
    expect((await callApi("GET", monitorsPath(A, "scoped/checkins/"), { token: tokens.aEvent })).status).toBe(403);
    expect((await callApi("GET", monitorsPath(A, "scoped/"), { token: tokens.aRead })).status).toBe(200);
    expect((await callApi("GET", monitorsPath(A, "scoped/"), { token: tokens.aCi })).status).toBe(200);
    expect((await create(A, { name: "nope", config: hourly }, tokens.aRead)).status).toBe(403);
    expect((await callApi("PUT", monitorsPath(A, "scoped/"), { token: tokens.aRead, body: { isMuted: true } })).status).toBe(403);
    expect((await callApi("DELETE", monitorsPath(A, "scoped/"), { token: tokens.aEvent })).status).toBe(403);
    expect((await create(A, { name: "From CI", config: hourly }, tokens.aCi)).status).toBe(201);
    expect((await callApi("GET", monitorsPath(A))).status).toBe(401);
    expect(await db().monitor.count({ where: { orgId: A.org.id, slug: "scoped", isMuted: false } })).toBe(1);
  });

  it("a member may manage monitors; a billing member may not read them", async () => {
    const billing = await db().user.create({ data: { email: `billing-${A.org.id}-${Date.now()}@example.com` } });
    await db().membership.create({ data: { orgId: A.org.id, userId: billing.id, role: "billing" } });
    const billingToken = (await unsafeCreateApiToken({ userId: billing.id, orgId: A.org.id, name: "t", scopes: ["project:write", "org:read"] })).token;
    const res = await callApi("GET", monitorsPath(A), { token: billingToken });
    expect(res.status).toBe(403);
  });
});

describe("paging the list", () => {
  it("pages by name with Link headers", async () => {
    const t = await createOrgWithProject();
    const tok = await token(t, ["project:write"]);
    for (const name of ["delta", "alpha", "charlie", "bravo", "echo"]) {
      expect((await create(t, { name, config: hourly }, tok)).status).toBe(201);
    }
    const first = await callApi("GET", monitorsPath(t, "?per_page=2"), { token: tok });
    expect(first.json().map((m: { name: string }) => m.name)).toEqual(["alpha", "bravo"]);
    const next = parseLink(first.headers.get("link")).next!;
    expect(next.results).toBe(true);
    const second = await callApi("GET", next.url, { token: tok });
    expect(second.json().map((m: { name: string }) => m.name)).toEqual(["charlie", "delta"]);
    const third = await callApi("GET", parseLink(second.headers.get("link")).next!.url, { token: tok });
    expect(third.json().map((m: { name: string }) => m.name)).toEqual(["echo"]);
    expect(parseLink(third.headers.get("link")).next?.results).toBe(false);
    const searched = await callApi("GET", monitorsPath(t, "?query=HAR"), { token: tok });
    expect(searched.json().map((m: { slug: string }) => m.slug)).toEqual(["charlie"]);
    expect((await callApi("GET", monitorsPath(t, "?per_page=1000"), { token: tok })).status).toBe(400);
  });
});

describe("the real sentry-cli", () => {
  it("monitors list prints the org's monitors, not another org's", async () => {
    expect((await create(A, { name: "CLI listed", slug: "cli-listed", config: hourly })).status).toBe(201);
    expect((await create(B, { name: "Only in B", slug: "only-in-b", config: hourly })).status).toBe(201);
    const env = {
      ...process.env,
      HOME: tmpdir(),
      SENTRY_URL: server.url,
      SENTRY_AUTH_TOKEN: tokens.a,
      SENTRY_ORG: A.org.slug,
      SENTRY_DISABLE_UPDATE_CHECK: "1",
    };
    const { stdout, stderr } = await run(SENTRY_CLI, ["monitors", "list"], { env });
    expect(stdout + stderr).toContain("cli-listed");
    expect(stdout + stderr).not.toContain("only-in-b");
  });
});

// An app's job checked in by the official SDK, through the real ingest and the drain, then read
// back through the API: the monitor its config made, both check-ins with durations in ms.
const SDK_JOB = `
import * as Sentry from "@sentry/node";
Sentry.init({ dsn: process.env.SENTRY_DSN, environment: "production", sendClientReports: false });
const config = { schedule: { type: "crontab", value: "0 * * * *" }, checkinMargin: 5, maxRuntime: 10, timezone: "Europe/Berlin" };
await Sentry.withMonitor("sdk-job", () => new Promise((resolve) => setTimeout(resolve, 300)), config);
const id = Sentry.captureCheckIn({ monitorSlug: "sdk-job", status: "in_progress" }, config);
Sentry.captureCheckIn({ checkInId: id, monitorSlug: "sdk-job", status: "error", duration: 2.5 });
console.log(await Sentry.flush(5000));
`;

describe("check-ins from @sentry/node, read through the API", () => {
  it("withMonitor and captureCheckIn make the monitor; the API lists it and its check-ins", async () => {
    const ingest = await startIngest();
    try {
      const dsn = `${ingest.base.replace("://", `://${A.key.publicKey}@`)}/${A.project.id}`;
      const { stdout } = await run(process.execPath, ["--input-type=module", "-e", SDK_JOB], { cwd: ROOT, env: { ...process.env, SENTRY_DSN: dsn } });
      expect(stdout.trim()).toBe("true");
      await drainAll(A.project.id);
    } finally {
      await ingest.close();
    }
    const monitor = await callApi("GET", monitorsPath(A, "sdk-job/"), { token: tokens.aRead });
    expect(monitor.status, monitor.body).toBe(200);
    expect(monitor.json()).toMatchObject({
      slug: "sdk-job",
      config: { schedule_type: "crontab", schedule: "0 * * * *", checkin_margin: 5, max_runtime: 10, timezone: "Europe/Berlin" },
      environments: [{ name: "production", status: "error", lastCheckIn: expect.any(String), nextCheckIn: expect.any(String) }],
    });
    const env = monitor.json().environments[0];
    expect(Date.parse(env.nextCheckInLatest) - Date.parse(env.nextCheckIn)).toBe(5 * 60_000);
    const checkIns = (await callApi("GET", monitorsPath(A, "sdk-job/checkins/"), { token: tokens.aRead })).json();
    expect(checkIns.map((c: { status: string }) => c.status).sort()).toEqual(["error", "ok"]);
    const ok = checkIns.find((c: { status: string }) => c.status === "ok");
    const error = checkIns.find((c: { status: string }) => c.status === "error");
    expect(error.duration).toBe(2500);
    expect(ok.duration).toBeGreaterThanOrEqual(250);
    expect(ok.duration).toBeLessThan(10_000);
    expect(ok.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ok.environment).toBe("production");
  });
});
