import { describe, expect, it } from "vitest";
import { normalizeMonitorSlug, parseMonitorConfig } from "./config";
import { catchUp } from "./detect-catch-up";
import { nextScheduledTime, scheduleForApi } from "./schedule";

const next = (schedule: string, timezone: string, after: string, scheduleType: "crontab" | "interval" = "crontab") =>
  nextScheduledTime({ scheduleType, schedule, timezone }, new Date(after)).toISOString();

describe("nextScheduledTime", () => {
  it("is strictly after the given time", () => {
    expect(next("0 * * * *", "UTC", "2026-03-07T10:00:00Z")).toBe("2026-03-07T11:00:00.000Z");
    expect(next("0 * * * *", "UTC", "2026-03-07T09:59:59.999Z")).toBe("2026-03-07T10:00:00.000Z");
  });

  it("runs a time the spring DST change skips at the shifted wall time, once a day", () => {
    // Europe/Berlin jumps 02:00 -> 03:00 on 2026-03-29: 02:30 does not exist that day.
    const times: string[] = [];
    let at = "2026-03-27T12:00:00Z";
    for (let i = 0; i < 4; i++) {
      at = next("30 2 * * *", "Europe/Berlin", at);
      times.push(at);
    }
    expect(times).toEqual([
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:30:00.000Z", // 03:30 CEST, the shifted run
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("runs a time the autumn change repeats once", () => {
    const first = next("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z");
    expect(first).toBe("2026-10-25T00:30:00.000Z"); // 02:30 CEST
    expect(next("30 2 * * *", "Europe/Berlin", first)).toBe("2026-10-26T01:30:00.000Z"); // 02:30 CET, the next day
  });

  it("gets past the DST changes of half-hour and 45-minute zones, where cron-parser fails", () => {
    // Australia/Lord_Howe goes back 30 minutes (02:00 +11:00 -> 01:30 +10:30) on 2027-04-04:
    // cron-parser 5 throws "loop limit exceeded" for "0 2 * * *" asked on the whole day before.
    expect(next("0 2 * * *", "Australia/Lord_Howe", "2027-04-02T15:00:00Z")).toBe("2027-04-03T15:30:00.000Z");
    expect(next("0 2 * * *", "Australia/Lord_Howe", "2027-04-03T10:00:00Z")).toBe("2027-04-03T15:30:00.000Z");
    expect(next("0 1 * * 0", "Australia/Lord_Howe", "2027-04-03T14:00:00Z")).toBe("2027-04-10T14:30:00.000Z");
    // Pacific/Chatham goes back an hour at 03:45 +13:45: cron-parser answers a time not after the start.
    const chatham = next("0 * * * *", "Pacific/Chatham", "2027-04-03T13:00:00Z");
    expect(Date.parse(chatham)).toBeGreaterThan(Date.parse("2027-04-03T13:00:00Z"));
    expect(Date.parse(chatham)).toBeLessThanOrEqual(Date.parse("2027-04-03T14:15:00Z"));
    expect(new Date(chatham).getUTCMinutes()).toBe(15); // a whole hour at +12:45 or +13:45
    // and the minute job's walk over such a day keeps the schedule (a throw made it null: never expected again)
    const walk = catchUp({ scheduleType: "crontab", schedule: "0 2 * * *", timezone: "Australia/Lord_Howe", checkinMargin: 1 }, new Date("2027-04-02T15:00:00Z"), new Date("2027-04-02T15:01:00Z"));
    expect(walk.missed.map((d) => d.toISOString())).toEqual(["2027-04-02T15:00:00.000Z"]);
    expect(walk.next?.toISOString()).toBe("2027-04-03T15:30:00.000Z");
  });

  it("knows @daily and friends in the monitor's zone", () => {
    expect(next("@daily", "America/New_York", "2026-03-07T12:00:00Z")).toBe("2026-03-08T05:00:00.000Z");
    expect(next("@daily", "America/New_York", "2026-03-08T05:00:00Z")).toBe("2026-03-09T04:00:00.000Z");
    expect(next("@hourly", "UTC", "2026-03-07T12:10:00Z")).toBe("2026-03-07T13:00:00.000Z");
    expect(next("@monthly", "UTC", "2026-03-07T12:10:00Z")).toBe("2026-04-01T00:00:00.000Z");
  });

  it("anchors intervals on the given time, truncated to the minute", () => {
    expect(next("5 minute", "UTC", "2026-03-07T12:10:37Z", "interval")).toBe("2026-03-07T12:15:00.000Z");
    expect(next("2 hour", "Europe/Berlin", "2026-03-29T00:30:00Z", "interval")).toBe("2026-03-29T02:30:00.000Z");
  });

  it("moves day, week, month and year intervals on the local calendar", () => {
    // 09:00 in Berlin stays 09:00 across the spring change (08:00Z -> 07:00Z)
    expect(next("1 day", "Europe/Berlin", "2026-03-28T08:00:00Z", "interval")).toBe("2026-03-29T07:00:00.000Z");
    expect(next("1 week", "Europe/Berlin", "2026-03-25T08:00:00Z", "interval")).toBe("2026-04-01T07:00:00.000Z");
    expect(next("1 month", "UTC", "2026-01-31T10:00:00Z", "interval")).toBe("2026-02-28T10:00:00.000Z");
    expect(next("1 year", "UTC", "2028-02-29T10:00:00Z", "interval")).toBe("2029-02-28T10:00:00.000Z");
    // a local time the change skips moves forward
    expect(next("1 day", "Europe/Berlin", "2026-03-28T01:30:00Z", "interval")).toBe("2026-03-29T01:30:00.000Z");
  });
});

describe("parseMonitorConfig", () => {
  it("reads an SDK's monitor_config with defaults", () => {
    expect(parseMonitorConfig({ schedule: { type: "crontab", value: " 0  * * * * " } })).toEqual({
      ok: true,
      config: {
        scheduleType: "crontab",
        schedule: "0 * * * *",
        checkinMargin: 1,
        maxRuntime: 30,
        timezone: "UTC",
        failureIssueThreshold: 1,
        recoveryThreshold: 1,
        owner: null,
      },
    });
    const parsed = parseMonitorConfig({
      schedule: { type: "interval", value: 10, unit: "minute" },
      checkin_margin: 5,
      max_runtime: 60,
      timezone: "Europe/Berlin",
      failure_issue_threshold: 3,
      recovery_threshold: 2,
      owner: "team:1",
    });
    expect(parsed).toMatchObject({ ok: true, config: { scheduleType: "interval", schedule: "10 minute", checkinMargin: 5, owner: "team:1" } });
  });

  it("reads the API's config shape", () => {
    expect(parseMonitorConfig({ schedule_type: "interval", schedule: [1, "day"] })).toMatchObject({
      ok: true,
      config: { scheduleType: "interval", schedule: "1 day" },
    });
    expect(parseMonitorConfig({ schedule: "@DAILY" })).toMatchObject({ ok: true, config: { schedule: "@daily" } });
    expect(parseMonitorConfig({ schedule_type: "crontab", schedule: "0 0 * * 5#3" })).toMatchObject({ ok: true });
  });

  it.each([
    ["not an object", "0 * * * *"],
    ["no schedule", {}],
    ["bad crontab", { schedule: { type: "crontab", value: "61 * * * *" } }],
    ["six fields", { schedule: { type: "crontab", value: "0 0 * * * *" } }],
    ["hashed", { schedule: { type: "crontab", value: "H * * * *" } }],
    ["unknown alias", { schedule: { type: "crontab", value: "@secondly" } }],
    ["never fires", { schedule: { type: "crontab", value: "0 0 30 2 *" } }],
    ["words", { schedule: { type: "crontab", value: "every day" } }],
    ["unknown type", { schedule: { type: "rrule", value: "x" } }],
    ["bad unit", { schedule: { type: "interval", value: 1, unit: "second" } }],
    ["zero interval", { schedule: { type: "interval", value: 0, unit: "minute" } }],
    ["huge interval", { schedule: { type: "interval", value: 1e12, unit: "minute" } }],
    ["fractional interval", { schedule: { type: "interval", value: 1.5, unit: "hour" } }],
    ["string interval", { schedule: { type: "interval", value: "1", unit: "hour" } }],
    ["bad timezone", { schedule: "0 * * * *", timezone: "Mars/Olympus" }],
    ["timezone type", { schedule: "0 * * * *", timezone: 1 }],
    ["huge margin", { schedule: "0 * * * *", checkin_margin: 1e9 }],
    ["zero runtime", { schedule: "0 * * * *", max_runtime: 0 }],
    ["threshold over 720", { schedule: "0 * * * *", failure_issue_threshold: 721 }],
    ["string threshold", { schedule: "0 * * * *", recovery_threshold: "2" }],
    ["owner type", { schedule: "0 * * * *", owner: {} }],
    ["interval not a pair", { schedule_type: "interval", schedule: [1] }],
  ])("refuses %s", (_, input) => {
    const parsed = parseMonitorConfig(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/\w/);
  });
});

describe("scheduleForApi and slugs", () => {
  it("gives Sentry's shapes", () => {
    expect(scheduleForApi({ scheduleType: "crontab", schedule: "0 * * * *" })).toBe("0 * * * *");
    expect(scheduleForApi({ scheduleType: "interval", schedule: "1 minute" })).toEqual([1, "minute"]);
  });

  it("normalizes slugs as Sentry does", () => {
    expect(normalizeMonitorSlug("My Job!")).toBe("my-job");
    expect(normalizeMonitorSlug("nightly_report-2")).toBe("nightly_report-2");
    expect(normalizeMonitorSlug("x".repeat(80))).toHaveLength(50);
    expect(normalizeMonitorSlug("!!!")).toBeNull();
    expect(normalizeMonitorSlug(42)).toBeNull();
  });
});
