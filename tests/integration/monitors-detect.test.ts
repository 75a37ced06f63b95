import { DATABASE_URL, dropDetectDatabase } from "./monitors-detect-database";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, db } from "@/lib/db";
import { MAX_MISSED_PER_RUN } from "@/lib/monitors/detect-catch-up";
import { missedCheckInId } from "@/lib/monitors/detect-missed";
import { unsafeDetectMonitorFailures } from "@/lib/monitors/detect";
import { closeQueues } from "@/lib/queues";
import { createOrgWithProject } from "../support/factories";
import { drainAll } from "../support/drain";
import { startIngest } from "../support/ingest";
import { NODE, WITH_TSX, run, start } from "../support/processes";

// The minute job, driven with the `now` of each case (no sleeping for minutes), on a database
// of this file's own (see monitors-detect-database.ts), plus one run of the registered job
// through a real worker process.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let A: Tenant;
let B: Tenant;

beforeAll(async () => {
  [A, B] = [await createOrgWithProject(), await createOrgWithProject()];
});

afterAll(async () => {
  await closeQueues();
  await closeDb();
  await dropDetectDatabase();
});

const at = (iso: string) => new Date(iso);
let serial = 0;

type MonitorOptions = {
  scheduleType?: "crontab" | "interval";
  schedule?: string;
  margin?: number;
  maxRuntime?: number;
  timezone?: string;
  failureIssueThreshold?: number;
  recoveryThreshold?: number;
  isMuted?: boolean;
  status?: string;
  environment?: string;
  /** the environment's next expected check-in (its deadline: + margin) */
  next: Date | null;
};

/** A monitor of the tenant's project with one environment expecting its next check-in at `next`. */
async function monitor(tenant: Tenant, options: MonitorOptions) {
  const margin = options.margin ?? 1;
  const created = await db().monitor.create({
    data: {
      orgId: tenant.org.id,
      projectId: tenant.project.id,
      slug: `job-${++serial}`,
      name: `Job ${serial}`,
      status: options.status ?? "active",
      isMuted: options.isMuted ?? false,
      scheduleType: options.scheduleType ?? "crontab",
      schedule: options.schedule ?? "* * * * *",
      checkinMargin: margin,
      maxRuntime: options.maxRuntime ?? 30,
      timezone: options.timezone ?? "UTC",
      failureIssueThreshold: options.failureIssueThreshold ?? 1,
      recoveryThreshold: options.recoveryThreshold ?? 1,
      environments: {
        create: {
          environment: options.environment ?? "production",
          status: "ok",
          nextCheckIn: options.next,
          nextCheckInLatest: options.next && new Date(options.next.getTime() + margin * 60_000),
        },
      },
    },
    include: { environments: true },
  });
  return { ...created, env: created.environments[0]! };
}

const checkIns = (monitorId: number) =>
  db().checkIn.findMany({ where: { monitorId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
const environment = (id: number) => db().monitorEnvironment.findUniqueOrThrow({ where: { id } });

describe("missed check-ins", () => {
  it('marks a "* * * * *" monitor with margin 1 missed once its deadline passes, dated at the expected time', async () => {
    const m = await monitor(A, { next: at("2001-02-03T12:01:00Z") });

    // deadline 12:02:00: a second before it, nothing
    await unsafeDetectMonitorFailures({ now: at("2001-02-03T12:01:59Z") });
    expect(await checkIns(m.id)).toEqual([]);

    // the tick after the deadline (the job runs every 60 s: at most a minute late)
    await unsafeDetectMonitorFailures({ now: at("2001-02-03T12:02:40Z") });
    const [missed, ...rest] = await checkIns(m.id);
    expect(rest).toEqual([]);
    expect(missed).toMatchObject({
      projectId: A.project.id,
      monitorEnvironmentId: m.env.id,
      monitorSlug: m.slug,
      status: "missed",
      environment: "production",
      checkInId: missedCheckInId(m.env.id, at("2001-02-03T12:01:00Z")),
      createdAt: at("2001-02-03T12:01:00Z"),
      expectedTime: at("2001-02-03T12:01:00Z"),
      durationMs: null,
    });
    expect(missed!.checkInId).toMatch(/^[0-9a-f]{32}$/);
    expect(await environment(m.env.id)).toMatchObject({
      status: "missed_checkin",
      nextCheckIn: at("2001-02-03T12:02:00Z"),
      nextCheckInLatest: at("2001-02-03T12:03:00Z"),
    });

    // the same tick again changes nothing; the next minute misses the next expected time
    await unsafeDetectMonitorFailures({ now: at("2001-02-03T12:02:40Z") });
    expect(await checkIns(m.id)).toHaveLength(1);
    await unsafeDetectMonitorFailures({ now: at("2001-02-03T12:03:30Z") });
    expect((await checkIns(m.id)).map((c) => c.expectedTime)).toEqual([
      at("2001-02-03T12:01:00Z"),
      at("2001-02-03T12:02:00Z"),
    ]);
  });

  it("inserts exactly one missed check-in when two runs race", async () => {
    const monitors = await Promise.all(
      Array.from({ length: 30 }, () => monitor(A, { next: at("2001-03-01T08:00:00Z") })),
    );
    const now = at("2001-03-01T08:01:30Z");
    // batches of 7 so the two runs interleave over several transactions each
    const [one, two] = await Promise.all([
      unsafeDetectMonitorFailures({ now, batchSize: 7 }),
      unsafeDetectMonitorFailures({ now, batchSize: 7 }),
    ]);
    // (the totals include earlier cases' monitors, which this later `now` finds due too)
    expect(one.missed + two.missed).toBeGreaterThanOrEqual(30);
    for (const m of monitors) {
      const rows = await checkIns(m.id);
      expect(rows.map((c) => [c.status, c.expectedTime])).toEqual([["missed", at("2001-03-01T08:00:00Z")]]);
      expect((await environment(m.env.id)).nextCheckIn).toEqual(at("2001-03-01T08:01:00Z"));
    }
  });

  it("records at most a bounded number of misses after the worker was down, then expects the future", async () => {
    const m = await monitor(A, { schedule: "*/5 * * * *", margin: 2, next: at("2001-04-01T00:00:00Z") });
    // down for 3 hours: 36 expected times went by
    await unsafeDetectMonitorFailures({ now: at("2001-04-01T03:00:30Z") });
    const rows = await checkIns(m.id);
    expect(rows).toHaveLength(MAX_MISSED_PER_RUN);
    expect(rows[0]!.expectedTime).toEqual(at("2001-04-01T00:00:00Z"));
    expect(rows.at(-1)!.expectedTime).toEqual(at("2001-04-01T00:45:00Z"));
    expect(rows.at(-1)!.payload).toMatchObject({ later_misses_not_recorded: true });
    // 02:55's deadline (02:57) has passed: the next one still to come is 03:00, due by 03:02
    expect(await environment(m.env.id)).toMatchObject({
      nextCheckIn: at("2001-04-01T03:00:00Z"),
      nextCheckInLatest: at("2001-04-01T03:02:00Z"),
    });
  });

  it("misses an interval monitor every n units after the expected time", async () => {
    const m = await monitor(A, {
      scheduleType: "interval",
      schedule: "30 minute",
      margin: 5,
      next: at("2001-05-01T12:30:00Z"),
    });
    await unsafeDetectMonitorFailures({ now: at("2001-05-01T12:34:59Z") });
    expect(await checkIns(m.id)).toEqual([]);
    await unsafeDetectMonitorFailures({ now: at("2001-05-01T12:35:00Z") });
    expect((await checkIns(m.id)).map((c) => c.expectedTime)).toEqual([at("2001-05-01T12:30:00Z")]);
    expect(await environment(m.env.id)).toMatchObject({
      nextCheckIn: at("2001-05-01T13:00:00Z"),
      nextCheckInLatest: at("2001-05-01T13:05:00Z"),
    });
  });

  it("follows a Europe/Berlin crontab across both DST changes", async () => {
    // 02:30 does not exist on 2026-03-29 in Berlin: that day's run is at 03:30 CEST (01:30Z)
    const spring = await monitor(A, {
      schedule: "30 2 * * *",
      timezone: "Europe/Berlin",
      next: at("2026-03-28T01:30:00Z"),
    });
    await unsafeDetectMonitorFailures({ now: at("2026-03-30T01:00:00Z") });
    expect((await checkIns(spring.id)).map((c) => c.expectedTime)).toEqual([
      at("2026-03-28T01:30:00Z"), // 02:30 CET
      at("2026-03-29T01:30:00Z"), // 03:30 CEST
      at("2026-03-30T00:30:00Z"), // 02:30 CEST
    ]);
    expect((await environment(spring.env.id)).nextCheckIn).toEqual(at("2026-03-31T00:30:00Z"));

    // 09:00 stays 09:00 local when the clocks go back on 2026-10-25
    const autumn = await monitor(A, {
      schedule: "0 9 * * *",
      timezone: "Europe/Berlin",
      next: at("2026-10-24T07:00:00Z"),
    });
    await unsafeDetectMonitorFailures({ now: at("2026-10-25T08:01:00Z") });
    expect((await checkIns(autumn.id)).map((c) => c.expectedTime)).toEqual([
      at("2026-10-24T07:00:00Z"),
      at("2026-10-25T08:00:00Z"),
    ]);
    expect((await environment(autumn.env.id)).nextCheckIn).toEqual(at("2026-10-26T08:00:00Z"));
  });

  it("leaves a disabled monitor unmarked but moves its schedule on; a broken schedule stops being expected without stalling the batch", async () => {
    const disabled = await monitor(A, { status: "disabled", next: at("2001-06-01T10:00:00Z") });
    const broken = await monitor(A, { schedule: "not a crontab", next: at("2001-06-01T10:00:00Z") });
    const fine = await monitor(A, { next: at("2001-06-01T10:00:00Z") });
    await unsafeDetectMonitorFailures({ now: at("2001-06-01T10:30:30Z") });
    expect(await checkIns(disabled.id)).toEqual([]);
    expect(await environment(disabled.env.id)).toMatchObject({
      nextCheckIn: at("2001-06-01T10:30:00Z"),
      nextCheckInLatest: at("2001-06-01T10:31:00Z"),
    });
    expect(await environment(broken.env.id)).toMatchObject({ nextCheckIn: null, nextCheckInLatest: null });
    expect(await checkIns(fine.id)).toHaveLength(MAX_MISSED_PER_RUN);
  });

  it("marks each organization's monitors in its own project and leaves ones not due alone", async () => {
    const a = await monitor(A, { next: at("2001-07-01T09:00:00Z") });
    const bDue = await monitor(B, { next: at("2001-07-01T09:00:00Z") });
    const bLater = await monitor(B, { schedule: "0 10 * * *", next: at("2001-07-01T10:00:00Z") });
    await unsafeDetectMonitorFailures({ now: at("2001-07-01T09:01:10Z") });
    expect((await checkIns(a.id)).map((c) => c.projectId)).toEqual([A.project.id]);
    expect((await checkIns(bDue.id)).map((c) => c.projectId)).toEqual([B.project.id]);
    expect(await checkIns(bLater.id)).toEqual([]);
    expect(await environment(bLater.env.id)).toMatchObject({
      status: "ok",
      nextCheckIn: at("2001-07-01T10:00:00Z"),
    });
  });
});

/** An in-progress check-in (as the check-in path stores it: timeout_at = created + max_runtime). */
async function inProgress(m: Awaited<ReturnType<typeof monitor>>, createdAt: Date, status = "in_progress") {
  return db().checkIn.create({
    data: {
      projectId: m.projectId,
      checkInId: `${(++serial).toString(16).padStart(8, "0")}${"a".repeat(24)}`,
      monitorSlug: m.slug,
      monitorId: m.id,
      monitorEnvironmentId: m.env.id,
      status,
      environment: m.env.environment,
      timeoutAt: new Date(createdAt.getTime() + m.maxRuntime * 60_000),
      createdAt,
      updatedAt: createdAt,
      payload: {},
    },
  });
}

describe("timeouts", () => {
  it("turns an in-progress check-in past max_runtime into a timeout; one closed by ok stays ok", async () => {
    const m = await monitor(A, { schedule: "0 * * * *", maxRuntime: 30, next: at("2001-08-01T13:00:00Z") });
    const running = await inProgress(m, at("2001-08-01T12:00:05Z"));
    const closed = await inProgress(m, at("2001-08-01T11:00:05Z"), "ok");
    await db().checkIn.update({ where: { id: closed.id }, data: { durationMs: 60_000 } });

    await unsafeDetectMonitorFailures({ now: at("2001-08-01T12:30:04Z") });
    expect((await db().checkIn.findUniqueOrThrow({ where: { id: running.id } })).status).toBe("in_progress");

    const result = await unsafeDetectMonitorFailures({ now: at("2001-08-01T12:30:30Z") });
    expect(result.timedOut).toBe(1);
    // timeout_at stays on in-progress rows only, as the check-in path keeps it
    expect(await db().checkIn.findUniqueOrThrow({ where: { id: running.id } })).toMatchObject({
      status: "timeout",
      timeoutAt: null,
    });
    expect((await db().checkIn.findUniqueOrThrow({ where: { id: closed.id } })).status).toBe("ok");
    expect((await environment(m.env.id)).status).toBe("timeout");
  });

  it("times out an in-progress check-in a newer ok superseded, without failing the monitor (as Sentry does)", async () => {
    const m = await monitor(A, { schedule: "0 * * * *", maxRuntime: 30, next: at("2001-08-02T14:00:00Z") });
    await db().monitorEnvironment.update({ where: { id: m.env.id }, data: { status: "ok" } });
    const stuck = await inProgress(m, at("2001-08-02T12:00:00Z"));
    await inProgress(m, at("2001-08-02T13:00:00Z"), "ok");
    const result = await unsafeDetectMonitorFailures({ now: at("2001-08-02T13:10:00Z") });
    expect(result.timedOut).toBe(1);
    expect((await db().checkIn.findUniqueOrThrow({ where: { id: stuck.id } })).status).toBe("timeout");
    expect((await environment(m.env.id)).status).toBe("ok");
  });

  it("two racing runs time each check-in out once", async () => {
    const m = await monitor(A, { schedule: "0 * * * *", maxRuntime: 5, next: at("2001-08-03T16:00:00Z") });
    for (let i = 0; i < 20; i++) await inProgress(m, at(`2001-08-03T12:${String(i).padStart(2, "0")}:00Z`));
    const now = at("2001-08-03T13:00:00Z");
    const [one, two] = await Promise.all([
      unsafeDetectMonitorFailures({ now, batchSize: 3 }),
      unsafeDetectMonitorFailures({ now, batchSize: 3 }),
    ]);
    expect(one.timedOut + two.timedOut).toBe(20);
    expect((await checkIns(m.id)).every((c) => c.status === "timeout")).toBe(true);
  });
});

const issueOf = async (envId: number) => {
  const { issueId } = await environment(envId);
  return issueId === null ? null : db().issue.findUniqueOrThrow({ where: { id: issueId } });
};

describe("failure issues", () => {
  it("opens the monitor's issue after failure_issue_threshold consecutive misses, once", async () => {
    const m = await monitor(A, { failureIssueThreshold: 2, next: at("2001-09-01T10:00:00Z") });
    await unsafeDetectMonitorFailures({ now: at("2001-09-01T10:01:00Z") });
    expect(await environment(m.env.id)).toMatchObject({ consecutiveFailures: 1, issueId: null });

    await unsafeDetectMonitorFailures({ now: at("2001-09-01T10:02:00Z") });
    const issue = await issueOf(m.env.id);
    expect(issue).toMatchObject({
      projectId: A.project.id,
      title: `Monitor failure: ${m.slug}`,
      type: "monitor",
      status: "unresolved",
      timesSeen: 1,
    });
    expect(await environment(m.env.id)).toMatchObject({ consecutiveFailures: 2 });

    // a third miss is another event of the same issue; a rerun of that minute adds nothing
    await unsafeDetectMonitorFailures({ now: at("2001-09-01T10:03:00Z") });
    await unsafeDetectMonitorFailures({ now: at("2001-09-01T10:03:00Z") });
    expect(await issueOf(m.env.id)).toMatchObject({ id: issue!.id, timesSeen: 2 });
    expect(await db().issue.count({ where: { title: `Monitor failure: ${m.slug}` } })).toBe(1);
  });

  it("resolves the issue when an ok check-in from @sentry/node follows, with recovery_threshold 1", async () => {
    const m = await monitor(A, { recoveryThreshold: 1, next: at("2001-09-05T10:00:00Z") });
    await unsafeDetectMonitorFailures({ now: at("2001-09-05T10:01:00Z") });
    const issue = await issueOf(m.env.id);
    expect(issue).toMatchObject({ status: "unresolved", type: "monitor" });

    const ingest = await startIngest();
    try {
      const dsn = `${ingest.base.replace("//", `//${A.key.publicKey}@`)}/${A.project.id}`;
      const script = `import * as Sentry from "@sentry/node";
        Sentry.init({ dsn: process.env.SENTRY_DSN, environment: "production", sendClientReports: false });
        Sentry.captureCheckIn({ monitorSlug: process.env.MONITOR_SLUG, status: "ok", duration: 2 });
        console.log("flushed " + (await Sentry.flush(5000)));`;
      const result = await run(NODE, ["--input-type=module", "-e", script], {
        SENTRY_DSN: dsn,
        MONITOR_SLUG: m.slug,
      });
      expect(result.output).toContain("flushed true");
      await drainAll(A.project.id);
    } finally {
      await ingest.close();
    }
    expect(await db().issue.findUniqueOrThrow({ where: { id: issue!.id } })).toMatchObject({
      status: "resolved",
    });
    expect(await environment(m.env.id)).toMatchObject({
      status: "ok",
      consecutiveOks: 1,
      consecutiveFailures: 0,
      issueId: null,
    });
    expect((await checkIns(m.id)).map((c) => [c.status, c.durationMs])).toEqual([
      ["missed", null],
      ["ok", 2000],
    ]);
  });

  it("counts a muted monitor's misses without opening an issue", async () => {
    const m = await monitor(A, { isMuted: true, next: at("2001-09-02T10:00:00Z") });
    await unsafeDetectMonitorFailures({ now: at("2001-09-02T10:01:00Z") });
    expect((await checkIns(m.id)).map((c) => c.status)).toEqual(["missed"]);
    expect(await environment(m.env.id)).toMatchObject({
      status: "missed_checkin",
      consecutiveFailures: 1,
      issueId: null,
    });
  });

  it("opens an issue for a timeout, with the check-in's release", async () => {
    const m = await monitor(A, { schedule: "0 3 * * *", maxRuntime: 10, next: at("2001-09-04T03:00:00Z") });
    const running = await inProgress(m, at("2001-09-03T03:00:00Z"));
    await db().checkIn.update({ where: { id: running.id }, data: { release: "nightly@1.2.3" } });
    await unsafeDetectMonitorFailures({ now: at("2001-09-03T03:10:30Z") });
    const issue = await issueOf(m.env.id);
    expect(issue).toMatchObject({
      title: `Monitor failure: ${m.slug}`,
      status: "unresolved",
      firstRelease: "nightly@1.2.3",
    });
  });
});

describe("the registered job", () => {
  it("runs in the worker process and marks a monitor due a few minutes ago", async () => {
    const due = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000);
    const m = await monitor(A, { next: due });
    const worker = start(NODE, [...WITH_TSX, "workers/worker.ts"], { DATABASE_URL });
    try {
      await worker.waitFor(/worker started/);
      // The job scheduler's first run starts at once: the row appears without adding a job.
      await expect
        .poll(async () => (await checkIns(m.id))[0] ?? null, { timeout: 30_000 })
        .toMatchObject({ status: "missed", expectedTime: due });
      expect((await environment(m.env.id)).nextCheckInLatest!.getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(worker.output()).not.toMatch(/job failed/);
    } finally {
      await worker.stop("SIGTERM");
    }
  });
});
