import { type CronExpression, CronExpressionParser } from "cron-parser";
import type { MonitorConfig } from "./config";

// Schedules of cron monitors: when the next check-in is due.
//
// cron-parser (already in the tree as BullMQ's repeat-job parser) computes crontab times in an
// IANA zone through Luxon, DST included: a time the spring change skips ("30 2 * * *" in
// Europe/Berlin on the last Sunday of March) runs at the shifted wall time (03:30 CEST), one
// the autumn change repeats runs once, as Vixie cron does.

export const INTERVAL_UNITS = ["year", "month", "week", "day", "hour", "minute"] as const;
export type IntervalUnit = (typeof INTERVAL_UNITS)[number];

// Sentry accepts these on top of five-field expressions; cron-parser knows more (@secondly,
// @weekdays, ...) which Sentry would refuse, so they are refused here too.
const ALIASES = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"]);
const MAX_CRONTAB_LENGTH = 100;

/** A crontab as stored (whitespace collapsed), or why it is refused. */
export function parseCrontab(input: string): { ok: true; crontab: string } | { ok: false; reason: string } {
  const crontab = input.trim().replace(/\s+/g, " ");
  if (crontab === "" || crontab.length > MAX_CRONTAB_LENGTH) return { ok: false, reason: "crontab is empty or too long" };
  if (crontab.startsWith("@")) {
    return ALIASES.has(crontab.toLowerCase()) ? { ok: true, crontab: crontab.toLowerCase() } : { ok: false, reason: `unknown crontab alias ${crontab}` };
  }
  // Six fields would be seconds (cron-parser's extension), not Sentry's five; "H" is
  // Jenkins-style hashing, which no cron (and not Sentry) runs.
  if (crontab.split(" ").length !== 5) return { ok: false, reason: "crontab must have 5 fields" };
  if (crontab.split(/[ ,/()-]/).some((part) => part.toUpperCase() === "H")) {
    return { ok: false, reason: "crontab hash (H) is not supported" };
  }
  try {
    // Parsing alone accepts expressions that never fire ("0 0 31 4 *" loops out); one next()
    // proves it is usable.
    CronExpressionParser.parse(crontab, { tz: "UTC", currentDate: new Date(0) }).next();
  } catch (error) {
    return { ok: false, reason: `invalid crontab: ${(error as Error).message}` };
  }
  return { ok: true, crontab };
}

/** "<n> <unit>", as an interval schedule is stored. */
function parseInterval(schedule: string): { value: number; unit: IntervalUnit } | null {
  const match = /^(\d{1,7}) (year|month|week|day|hour|minute)$/.exec(schedule);
  return match ? { value: Number(match[1]), unit: match[2] as IntervalUnit } : null;
}

// At most ten years between check-ins, in whatever unit.
export const MAX_INTERVAL: Record<IntervalUnit, number> = {
  year: 10,
  month: 120,
  week: 520,
  day: 3650,
  hour: 87_600,
  minute: 5_256_000,
};

/**
 * The first scheduled time strictly after `after`, in the monitor's time zone.
 *
 * Crontab: the next time the expression fires. Interval: `after` is the anchor (the monitor
 * environment's last check-in, or its creation when none came yet; Sentry anchors interval
 * monitors the same way) plus n units, truncated to the minute as Sentry does. Minutes and hours
 * are elapsed time; days, weeks, months and years move the local wall-clock date (a daily job at
 * 09:00 stays at 09:00 across DST, Jan 31 + 1 month is the last day of February).
 */
export function nextScheduledTime(config: Pick<MonitorConfig, "scheduleType" | "schedule" | "timezone">, after: Date): Date {
  if (config.scheduleType === "crontab") return nextCronTime(config.schedule, config.timezone, after);
  const interval = parseInterval(config.schedule);
  if (!interval) throw new Error(`bad interval schedule ${JSON.stringify(config.schedule)}`);
  const anchor = new Date(Math.floor(after.getTime() / 60_000) * 60_000);
  const { value, unit } = interval;
  if (unit === "minute") return new Date(anchor.getTime() + value * 60_000);
  if (unit === "hour") return new Date(anchor.getTime() + value * 3_600_000);
  return addWallClock(anchor, config.timezone, unit, value);
}

// cron-parser computes in Luxon: ~100 µs to parse an expression and ~150 µs for a next() in
// a zone with DST, the most of a check-in's cost in the drain and of the minute job's per
// monitor. Parsed expressions are reused (reset to each time), and results memoized: crontab
// times fall on whole minutes, so the next one strictly after `after` depends only on the
// minute `after` is in, and monitors sharing a schedule and zone share the answer.
const MAX_CACHED = 10_000;
const expressions = new Map<string, CronExpression>();
const nextTimes = new Map<string, number>();

function nextCronTime(schedule: string, timezone: string, after: Date): Date {
  const minute = Math.floor(after.getTime() / 60_000);
  const key = `${timezone}\n${schedule}\n${minute}`;
  const cached = nextTimes.get(key);
  if (cached !== undefined) return new Date(cached);
  const expressionKey = `${timezone}\n${schedule}`;
  let expression = expressions.get(expressionKey);
  if (!expression) {
    if (expressions.size >= MAX_CACHED) expressions.clear();
    expression = CronExpressionParser.parse(schedule, { tz: timezone, currentDate: after });
    expressions.set(expressionKey, expression);
  }
  // From the minute's start: the same answer for every time within it (see above).
  const from = minute * 60_000;
  expression.reset(new Date(from));
  let next: number;
  try {
    next = expression.next().getTime();
  } catch {
    next = Number.NaN;
  }
  // cron-parser 5 fails near the DST changes of zones whose offset moves by 30 or 45 minutes
  // (Australia/Lord_Howe: "loop limit exceeded" for a whole day before April's; Pacific/Chatham:
  // a time not after the start), which threw in the check-in's batch and made the minute job
  // stop expecting the monitor: those times come from the zone's wall clock instead.
  if (!(next > from)) next = nextOnWallClock(schedule, timezone, from);
  if (nextTimes.size >= MAX_CACHED) nextTimes.clear();
  nextTimes.set(key, next);
  return new Date(next);
}

/**
 * The next crontab time after `from` (a whole minute) computed on the zone's wall clock: the
 * expression runs in UTC over wall-clock times, each then placed in the zone (a skipped time
 * moves forward, as cron-parser does; a repeated one that is not after `from` is passed over).
 */
function nextOnWallClock(schedule: string, timezone: string, from: number): number {
  const start = wallClock(new Date(from), timezone);
  let wall = Date.UTC(start.year, start.month - 1, start.day, start.hour, start.minute);
  const expression = CronExpressionParser.parse(schedule, { tz: "UTC", currentDate: new Date(wall) });
  // A wall time maps to at most two instants: a few steps find one after `from`.
  for (let i = 0; i < 4; i++) {
    wall = expression.next().getTime();
    const at = fromWallClock(wall, timezone).getTime();
    if (at > from) return at;
  }
  throw new Error(`no next time for ${JSON.stringify(schedule)} in ${timezone}`);
}

/** Sentry's API shape of the schedule: "0 * * * *" or [1, "minute"]. */
export function scheduleForApi(config: Pick<MonitorConfig, "scheduleType" | "schedule">): string | [number, string] {
  if (config.scheduleType === "crontab") return config.schedule;
  const interval = parseInterval(config.schedule);
  return interval ? [interval.value, interval.unit] : config.schedule;
}

/** Whether Intl (and so Luxon, on the same ICU data) knows the IANA zone. */
export function isValidTimeZone(timezone: string): boolean {
  if (timezone === "" || timezone.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function addWallClock(at: Date, timeZone: string, unit: "day" | "week" | "month" | "year", n: number): Date {
  const local = wallClock(at, timeZone);
  let { year, month, day } = local;
  if (unit === "day") day += n;
  else if (unit === "week") day += 7 * n;
  else {
    if (unit === "month") month += n;
    else year += n;
    // clamp to the target month's last day, as relativedelta does
    const first = new Date(Date.UTC(year, month - 1, 1));
    const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
    day = Math.min(day, lastDay);
  }
  const target = Date.UTC(year, month - 1, day, local.hour, local.minute);
  return fromWallClock(target, timeZone);
}

type WallClock = { year: number; month: number; day: number; hour: number; minute: number };

const formatters = new Map<string, Intl.DateTimeFormat>();
function wallClock(at: Date, timeZone: string): WallClock {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute) };
}

/** The instant a wall-clock time (given as if UTC) names in the zone; a skipped time moves forward. */
function fromWallClock(wallAsUtc: number, timeZone: string): Date {
  // Two rounds find the offset in effect at the target (the first guess uses the offset an
  // hour or so away, across a change).
  let guess = wallAsUtc;
  for (let i = 0; i < 2; i++) {
    const seen = wallClock(new Date(guess), timeZone);
    const seenAsUtc = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute);
    guess += wallAsUtc - seenAsUtc;
  }
  return new Date(guess);
}
