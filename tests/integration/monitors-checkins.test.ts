import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONDITION_IDS } from "@/lib/alerts/catalog";
import { db } from "@/lib/db";
import { closeQueues } from "@/lib/queues";
import { nextScheduledTime } from "@/lib/monitors/schedule";
import { drainAll } from "../support/drain";
import { envelope, errorEvent, eventEnvelope, newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { NODE, run } from "../support/processes";
import { SENTRY_CLI } from "../support/sentry-cli";

// Cron check-ins end to end: the real @sentry/node SDK (withMonitor, captureCheckIn with a
// monitor config), raw check_in items, Relay's HTTP form and the real sentry-cli through the
// real ingest into the project's stream, stored by the drain's batch transaction; two orgs.

const SDK_SCRIPT = `
import * as Sentry from "@sentry/node";
Sentry.init({ dsn: process.env.SENTRY_DSN, environment: "production", release: "jobs@1.0.0", sendClientReports: false });
await Sentry.withMonitor("nightly-report", () => new Promise((resolve) => setTimeout(resolve, 300)), {
  schedule: { type: "crontab", value: "0 3 * * *" }, checkinMargin: 5, maxRuntime: 60, timezone: "Europe/Berlin",
});
try {
  await Sentry.withMonitor("flaky-job", async () => { throw new Error("boom"); }, { schedule: { type: "interval", value: 10, unit: "minute" } });
} catch {}
console.log("heartbeat " + Sentry.captureCheckIn({ monitorSlug: "heartbeat", status: "ok" }, {
  schedule: { type: "interval", value: 1, unit: "hour" }, checkinMargin: 2, failureIssueThreshold: 3, recoveryThreshold: 2,
}));
console.log("flushed " + (await Sentry.flush(5000)));
`;

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let ingest: Awaited<ReturnType<typeof startIngest>>;
let A: Tenant;
let B: Tenant;

beforeAll(async () => {
  ingest = await startIngest();
  A = await createOrgWithProject();
  B = await createOrgWithProject();
});
afterAll(async () => {
  await ingest.close();
  await closeQueues();
});

const dsnOf = (t: Tenant) => `http://${t.key.publicKey}@${new URL(ingest.base).host}/${t.project.id}`;

/** Raw check_in items in one envelope through ingest, then the project drained. */
async function sendCheckIns(t: Tenant, checkIns: Record<string, unknown>[], extra: { type: string; payload: string }[] = []) {
  const body = envelope({ sent_at: new Date().toISOString() }, [...checkIns.map((c) => ({ type: "check_in", payload: JSON.stringify(c) })), ...extra]);
  const res = await send(`${ingest.base}/api/${t.project.id}/envelope/?sentry_key=${t.key.publicKey}`, { body });
  expect(res.status, res.body).toBe(200);
  await drainAll(t.project.id);
}

const monitorOf = (t: Tenant, slug: string) =>
  db().monitor.findUniqueOrThrow({ where: { projectId_slug: { projectId: t.project.id, slug } }, include: { environments: true } });
const checkInsOf = (monitorId: number) => db().checkIn.findMany({ where: { monitorId }, orderBy: { id: "asc" } });
const droppedOf = async (t: Tenant) =>
  Object.fromEntries(
    (await db().outcomeCount.findMany({ where: { projectId: t.project.id, category: "monitor" } })).map((o) => [`${o.outcome} ${o.reason}`, Number(o.quantity)]),
  );
const scheduleOf = (m: { scheduleType: string; schedule: string; timezone: string }) => ({
  scheduleType: m.scheduleType as "crontab" | "interval",
  schedule: m.schedule,
  timezone: m.timezone,
});
const crontab = (value: string, more: Record<string, unknown> = {}) => ({ schedule: { type: "crontab", value }, ...more });

describe("check-ins from @sentry/node", () => {
  it("makes monitors from withMonitor and captureCheckIn configs, with durations in ms", async () => {
    const result = await run(NODE, ["--input-type=module", "-e", SDK_SCRIPT], { SENTRY_DSN: dsnOf(A) });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("flushed true");
    await drainAll(A.project.id);

    const nightly = await monitorOf(A, "nightly-report");
    expect(nightly).toMatchObject({
      name: "nightly-report",
      orgId: A.org.id,
      scheduleType: "crontab",
      schedule: "0 3 * * *",
      checkinMargin: 5,
      maxRuntime: 60,
      timezone: "Europe/Berlin",
      failureIssueThreshold: 1,
      recoveryThreshold: 1,
    });
    const [run1] = await checkInsOf(nightly.id);
    expect(await checkInsOf(nightly.id)).toHaveLength(1);
    expect(run1).toMatchObject({ status: "ok", environment: "production", release: "jobs@1.0.0", timeoutAt: null });
    // withMonitor measures the callback: about 300 ms, sent in seconds, stored in ms
    expect(run1!.durationMs).toBeGreaterThanOrEqual(250);
    expect(run1!.durationMs).toBeLessThan(10_000);
    const [env] = nightly.environments;
    expect(env).toMatchObject({ environment: "production", status: "ok", consecutiveOks: 1, consecutiveFailures: 0, issueId: null });
    const expected = nextScheduledTime(scheduleOf(nightly), run1!.createdAt);
    expect(env!.nextCheckIn).toEqual(expected);
    expect(env!.nextCheckInLatest).toEqual(new Date(expected.getTime() + 5 * 60_000));
    expect(env!.lastCheckIn).toEqual(run1!.createdAt);

    const heartbeat = await monitorOf(A, "heartbeat");
    expect(heartbeat).toMatchObject({ scheduleType: "interval", schedule: "1 hour", checkinMargin: 2, failureIssueThreshold: 3, recoveryThreshold: 2 });
    const [beat] = await checkInsOf(heartbeat.id);
    expect(beat!.checkInId).toBe(result.output.match(/heartbeat ([0-9a-f]{32})/)![1]);
    // an interval monitor's next check-in: the check-in's minute plus the interval
    expect(heartbeat.environments[0]!.nextCheckIn!.getTime()).toBe(Math.floor(beat!.createdAt.getTime() / 60_000) * 60_000 + 3_600_000);
  });

  it("opens a 'Monitor failure' issue for a failing withMonitor job (threshold 1)", async () => {
    const flaky = await monitorOf(A, "flaky-job");
    expect(flaky).toMatchObject({ scheduleType: "interval", schedule: "10 minute" });
    const rows = await checkInsOf(flaky.id);
    expect(rows.map((r) => r.status)).toEqual(["error"]);
    const env = flaky.environments[0]!;
    expect(env).toMatchObject({ status: "error", consecutiveFailures: 1 });
    const issue = await db().issue.findUniqueOrThrow({ where: { id: env.issueId! } });
    expect(issue).toMatchObject({ projectId: A.project.id, type: "monitor", title: "Monitor failure: flaky-job", status: "unresolved", timesSeen: 1 });
    const event = await db().event.findFirstOrThrow({ where: { issueId: issue.id } });
    expect(event.environment).toBe("production");
    expect(event.tags).toEqual(expect.arrayContaining([["monitor.slug", "flaky-job"], ["monitor.status", "error"]]));
  });
});

describe("raw check_in items", () => {
  it("closes the latest in-progress check-in for the all-zero id; a missing duration is the time since it began", async () => {
    const id = newEventId();
    await sendCheckIns(A, [{ check_in_id: id, monitor_slug: "Zero Job", status: "in_progress", environment: "", monitor_config: crontab("*/5 * * * *", { max_runtime: 7 }) }]);
    const monitor = await monitorOf(A, "zero-job");
    const [started] = await checkInsOf(monitor.id);
    expect(started).toMatchObject({ checkInId: id, status: "in_progress", environment: "production", durationMs: null });
    expect(started!.timeoutAt).toEqual(new Date(started!.createdAt.getTime() + 7 * 60_000));

    await new Promise((resolve) => setTimeout(resolve, 200));
    await sendCheckIns(A, [{ check_in_id: "0".repeat(32), monitor_slug: "zero-job", status: "ok" }]);
    const [closed] = await checkInsOf(monitor.id);
    expect(await checkInsOf(monitor.id)).toHaveLength(1);
    expect(closed).toMatchObject({ checkInId: id, status: "ok", timeoutAt: null });
    expect(closed!.durationMs).toBeGreaterThanOrEqual(150);

    // nothing in progress: the zero id starts a check-in of its own; a duration in seconds
    const expectedBefore = (await monitorOf(A, "zero-job")).environments[0]!.nextCheckIn;
    expect(expectedBefore).toEqual(nextScheduledTime(scheduleOf(monitor), started!.createdAt));
    await sendCheckIns(A, [{ check_in_id: "00000000-0000-0000-0000-000000000000", monitor_slug: "zero-job", status: "error", duration: 2.5 }]);
    const rows = await checkInsOf(monitor.id);
    expect(rows.map((r) => [r.status, r.durationMs])).toEqual([["ok", closed!.durationMs], ["error", 2500]]);
    expect(rows[1]!.checkInId).toMatch(/^[0-9a-f]{32}$/);
    expect(rows[1]!.expectedTime).toEqual(expectedBefore);
    // a finished check-in stays finished
    await sendCheckIns(A, [{ check_in_id: id, monitor_slug: "zero-job", status: "error" }]);
    expect((await checkInsOf(monitor.id))[0]!.status).toBe("ok");
    expect((await droppedOf(A))["invalid check_in_finished"]).toBe(1);
  });

  it("refuses and counts bad configs and bad check-ins, and the project keeps draining", async () => {
    const t = await createOrgWithProject();
    const id = () => newEventId();
    const event = errorEvent();
    await sendCheckIns(
      t,
      [
        { check_in_id: id(), monitor_slug: "no-monitor", status: "ok" },
        { check_in_id: id(), monitor_slug: "bad-cron", status: "ok", monitor_config: crontab("61 * * * *") },
        { check_in_id: id(), monitor_slug: "bad-tz", status: "ok", monitor_config: crontab("0 * * * *", { timezone: "Mars/Olympus" }) },
        { check_in_id: id(), monitor_slug: "huge", status: "ok", monitor_config: crontab("0 * * * *", { checkin_margin: 1e308 }) },
        { check_in_id: id(), monitor_slug: "types", status: "ok", monitor_config: crontab("0 * * * *", { max_runtime: "30" }) },
        { check_in_id: id(), monitor_slug: "config-string", status: "ok", monitor_config: "0 * * * *" },
        { check_in_id: id(), monitor_slug: "interval", status: "ok", monitor_config: { schedule: { type: "interval", value: 1e12, unit: "minute" } } },
        { check_in_id: "not-a-uuid", monitor_slug: "x", status: "ok", monitor_config: crontab("0 * * * *") },
        { check_in_id: id(), monitor_slug: "!!!", status: "ok", monitor_config: crontab("0 * * * *") },
        { check_in_id: id(), monitor_slug: "dur", status: "ok", duration: -1, monitor_config: crontab("0 * * * *") },
        { check_in_id: id(), monitor_slug: "env", status: "ok", environment: { name: "prod" }, monitor_config: crontab("0 * * * *") },
        { check_in_id: id(), monitor_slug: "status", status: 1, monitor_config: crontab("0 * * * *") },
      ],
      [{ type: "event", payload: JSON.stringify(event) }],
    );
    expect(await droppedOf(t)).toMatchObject({
      "invalid monitor_not_found": 1,
      "invalid invalid_monitor_config": 6,
      "invalid invalid_check_in": 5,
    });
    expect(await db().monitor.count({ where: { projectId: t.project.id } })).toBe(0);
    expect(await db().deadLetter.count({ where: { projectId: t.project.id } })).toBe(0);
    // the batch's event is stored, and so is one sent after
    const next = errorEvent();
    await send(`${ingest.base}/api/${t.project.id}/envelope/?sentry_key=${t.key.publicKey}`, { body: eventEnvelope(next) });
    await drainAll(t.project.id);
    const stored = await db().event.findMany({ where: { projectId: t.project.id }, select: { eventId: true } });
    expect(stored.map((e) => e.eventId).sort()).toEqual([event.event_id, next.event_id].sort());
    // an SDK's "missed" is only unknown: it counts neither way
    await sendCheckIns(t, [{ check_in_id: id(), monitor_slug: "sdk-missed", status: "missed", monitor_config: crontab("0 * * * *") }]);
    const monitor = await monitorOf(t, "sdk-missed");
    expect((await checkInsOf(monitor.id)).map((r) => r.status)).toEqual(["unknown"]);
    expect(monitor.environments[0]).toMatchObject({ status: "active", consecutiveFailures: 0 });
  });

  it("bounds a monitor's environments (Sentry's 1,000): a check-in naming one more is dropped and counted, the known ones go on", async () => {
    const t = await createOrgWithProject();
    await sendCheckIns(t, [{ check_in_id: newEventId(), monitor_slug: "many-envs", status: "ok", environment: "env-0", monitor_config: crontab("0 * * * *") }]);
    const monitor = await monitorOf(t, "many-envs");
    // 998 more, as a DSN holder naming a new environment in each check-in would make them
    await db().$executeRaw`
      insert into monitor_environments (monitor_id, environment)
      select ${monitor.id}::int, 'env-' || n from generate_series(1, 998) as n`;
    await sendCheckIns(t, [
      { check_in_id: newEventId(), monitor_slug: "many-envs", status: "ok", environment: "env-999" },
      { check_in_id: newEventId(), monitor_slug: "many-envs", status: "ok", environment: "env-1000" },
      { check_in_id: newEventId(), monitor_slug: "many-envs", status: "ok", environment: "env-1001" },
      { check_in_id: "0".repeat(32), monitor_slug: "many-envs", status: "error", environment: "env-1002" },
      { check_in_id: newEventId(), monitor_slug: "many-envs", status: "error", environment: "env-5" },
    ]);
    expect(await db().monitorEnvironment.count({ where: { monitorId: monitor.id } })).toBe(1000);
    const rows = await checkInsOf(monitor.id);
    expect(rows.map((r) => [r.environment, r.status])).toEqual([["env-0", "ok"], ["env-999", "ok"], ["env-5", "error"]]);
    expect(await droppedOf(t)).toEqual({ "invalid monitor_environment_limit": 3 });
    expect(await db().deadLetter.count({ where: { projectId: t.project.id } })).toBe(0);
  });

  it("another org's DSN with the same slug and check-in id makes its own monitor and touches nothing of this one", async () => {
    const id = newEventId();
    await sendCheckIns(A, [{ check_in_id: id, monitor_slug: "shared-slug", status: "in_progress", monitor_config: crontab("0 * * * *") }]);
    await sendCheckIns(B, [{ check_in_id: id, monitor_slug: "shared-slug", status: "error", monitor_config: crontab("0 0 * * *") }]);
    const mine = await monitorOf(A, "shared-slug");
    const theirs = await monitorOf(B, "shared-slug");
    expect(mine.id).not.toBe(theirs.id);
    expect(mine.schedule).toBe("0 * * * *");
    expect((await checkInsOf(mine.id)).map((r) => r.status)).toEqual(["in_progress"]);
    expect((await checkInsOf(theirs.id)).map((r) => [r.projectId, r.status])).toEqual([[B.project.id, "error"]]);
    // B's key on A's project is refused at ingest
    const body = envelope({}, [{ type: "check_in", payload: JSON.stringify({ check_in_id: id, monitor_slug: "shared-slug", status: "ok" }) }]);
    const res = await send(`${ingest.base}/api/${A.project.id}/envelope/?sentry_key=${B.key.publicKey}`, { body });
    expect(res.status).toBe(403);
  });
});

describe("failure issues", () => {
  it("opens after failure_issue_threshold failures, resolves after recovery_threshold oks, regresses on the next failure; alert rules fire", async () => {
    const t = await createOrgWithProject();
    const rule = (name: string, id: string) =>
      db().alertRule.create({
        data: { projectId: t.project.id, name, conditions: [{ id }], filters: [], actionMatch: "all", filterMatch: "all", frequency: 5, actions: [{ id: "errorhub.actions.webhook", url: `https://hooks.example.com/${name}` }] },
      });
    const firstSeen = await rule("first", CONDITION_IDS.firstSeen);
    const regression = await rule("regression", CONDITION_IDS.regression);
    const config = crontab("0 * * * *", { failure_issue_threshold: 2, recovery_threshold: 2 });
    const check = (status: string) => sendCheckIns(t, [{ check_in_id: newEventId(), monitor_slug: "nightly", status, environment: "prod", monitor_config: config }]);
    const env = async () => (await monitorOf(t, "nightly")).environments[0]!;

    await check("error");
    expect(await env()).toMatchObject({ consecutiveFailures: 1, issueId: null });
    await check("error");
    const opened = await env();
    expect(opened.issueId).not.toBeNull();
    const issue = await db().issue.findUniqueOrThrow({ where: { id: opened.issueId! } });
    expect(issue).toMatchObject({ title: "Monitor failure: nightly", type: "monitor", culprit: "nightly (prod)", status: "unresolved", timesSeen: 1 });
    expect((await db().alertDelivery.findMany({ where: { ruleId: firstSeen.id } })).map((d) => d.issueId)).toEqual([issue.id]);
    await check("error"); // another occurrence while open
    expect((await db().issue.findUniqueOrThrow({ where: { id: issue.id } })).timesSeen).toBe(2);

    await check("ok");
    expect(await env()).toMatchObject({ consecutiveOks: 1, issueId: issue.id });
    await check("ok");
    expect(await env()).toMatchObject({ consecutiveOks: 2, issueId: null });
    expect((await db().issue.findUniqueOrThrow({ where: { id: issue.id } })).status).toBe("resolved");
    const activities = await db().issueActivity.findMany({ where: { issueId: issue.id, type: "set_resolved" } });
    expect(activities.map((a) => a.data)).toEqual([{ source: "monitor_recovered" }]);

    await check("error");
    await check("error");
    expect((await env()).issueId).toBe(issue.id);
    expect(await db().issue.findUniqueOrThrow({ where: { id: issue.id } })).toMatchObject({ status: "unresolved", substatus: "regressed" });
    expect((await db().alertDelivery.findMany({ where: { ruleId: regression.id } })).map((d) => d.issueId)).toEqual([issue.id]);
    // one issue per monitor environment
    expect(await db().issue.count({ where: { projectId: t.project.id } })).toBe(1);
  });

  it("a muted monitor records check-ins but opens no issue", async () => {
    const t = await createOrgWithProject();
    await sendCheckIns(t, [{ check_in_id: newEventId(), monitor_slug: "quiet", status: "ok", monitor_config: crontab("0 * * * *") }]);
    await db().monitor.update({ where: { projectId_slug: { projectId: t.project.id, slug: "quiet" } }, data: { isMuted: true } });
    await sendCheckIns(t, [{ check_in_id: newEventId(), monitor_slug: "quiet", status: "error" }]);
    const monitor = await monitorOf(t, "quiet");
    expect(monitor.environments[0]).toMatchObject({ status: "error", consecutiveFailures: 1, issueId: null });
    expect(await db().issue.count({ where: { projectId: t.project.id } })).toBe(0);
  });
});

describe("Relay's HTTP form", () => {
  const cronUrl = (t: Tenant, slug: string, query = "", key = t.key.publicKey, projectId = t.project.id) =>
    `${ingest.base}/api/${projectId}/cron/${slug}/${key}/${query}`;

  it("POST JSON starts a check-in, GET with a query closes it; both 202", async () => {
    const started = await send(cronUrl(A, "http-job"), {
      body: JSON.stringify({ status: "in_progress", environment: "staging", monitor_config: { schedule_type: "interval", schedule: [30, "minute"] } }),
      headers: { "content-type": "application/json" },
    });
    expect(started.status, started.body).toBe(202);
    const { id } = started.json();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const closed = await send(cronUrl(A, "http-job", `?status=ok&check_in_id=${id}&duration=3&environment=staging`), { method: "GET" });
    expect(closed.status, closed.body).toBe(202);
    await drainAll(A.project.id);
    const monitor = await monitorOf(A, "http-job");
    expect(monitor).toMatchObject({ scheduleType: "interval", schedule: "30 minute" });
    expect((await checkInsOf(monitor.id)).map((r) => [r.checkInId, r.status, r.durationMs, r.environment])).toEqual([[id, "ok", 3000, "staging"]]);
  });

  it("answers 400 for bad input and 401/403 for bad keys", async () => {
    const bad = async (url: string, options: Parameters<typeof send>[1] = { method: "GET" }) => (await send(url, options)).status;
    expect(await bad(cronUrl(A, "http-job", "?status=bogus"))).toBe(400);
    expect(await bad(cronUrl(A, "http-job", "?status=ok&duration=abc"))).toBe(400);
    expect(await bad(cronUrl(A, "http-job", "?status=ok&duration=31536001"))).toBe(400);
    expect(await bad(cronUrl(A, "http-job", "?status=ok&check_in_id=nope"))).toBe(400);
    expect(await bad(cronUrl(A, "%21%21", "?status=ok"))).toBe(400);
    expect(await bad(cronUrl(A, "http-job"), { body: "{not json" })).toBe(400);
    expect(await bad(cronUrl(A, "http-job"), { body: JSON.stringify({ status: "ok", monitor_config: { schedule: "0 0 31 2 *" } }) })).toBe(400);
    expect(await bad(cronUrl(A, "http-job", "?status=ok", "f".repeat(32)))).toBe(401);
    expect(await bad(cronUrl(A, "http-job", "?status=ok", "nope"))).toBe(401);
    expect(await bad(cronUrl(A, "http-job", "?status=ok", B.key.publicKey))).toBe(403);
    expect(await bad(cronUrl(A, "http-job", "?status=ok"), { method: "PUT" })).toBe(405);
    // without the key segment: the key from the query or X-Sentry-Auth, or 401
    const keyless = `${ingest.base}/api/${A.project.id}/cron/http-job/`;
    expect(await bad(`${keyless}?status=ok`)).toBe(401);
    expect(await bad(`${keyless}?status=ok&sentry_key=${A.key.publicKey}`)).toBe(202);
    expect(await bad(`${keyless}?status=ok`, { method: "GET", headers: { "x-sentry-auth": `Sentry sentry_key=${A.key.publicKey}` } })).toBe(202);
    expect(await bad(`${keyless}?status=ok&sentry_key=${B.key.publicKey}`)).toBe(403);
    await drainAll(A.project.id);
  });
});

describe("sentry-cli monitors run", () => {
  it("sends in_progress then ok, or error with the command's exit code", async () => {
    const t = await createOrgWithProject();
    const env = { SENTRY_DSN: dsnOf(t), SENTRY_LOG_LEVEL: "warn" };
    const ok = await run(SENTRY_CLI, ["monitors", "run", "-s", "* * * * *", "--timezone", "Europe/Vienna", "cli-job", "--", NODE, "-e", "setTimeout(() => {}, 200)"], env);
    expect(ok.code, ok.output).toBe(0);
    const failed = await run(SENTRY_CLI, ["monitors", "run", "-s", "* * * * *", "cli-job", "--", NODE, "-e", "process.exit(3)"], env);
    expect(failed.code, failed.output).toBe(3);
    await drainAll(t.project.id);
    const monitor = await monitorOf(t, "cli-job");
    expect(monitor).toMatchObject({ scheduleType: "crontab", schedule: "* * * * *" });
    const rows = await checkInsOf(monitor.id);
    expect(rows.map((r) => [r.status, r.environment])).toEqual([
      ["ok", "production"],
      ["error", "production"],
    ]);
    expect(rows[0]!.durationMs).toBeGreaterThanOrEqual(150);
    expect((await monitorOf(t, "cli-job")).environments[0]!.issueId).not.toBeNull();
  });
});
