import { INTERVAL_UNITS, type IntervalUnit, isValidTimeZone, MAX_INTERVAL, parseCrontab } from "./schedule";

/** A monitor's schedule and thresholds, as the monitors table stores them. */
export type MonitorConfig = {
  scheduleType: "crontab" | "interval";
  /** "0 * * * *" (or @daily ...) for crontab, "<n> <unit>" for interval */
  schedule: string;
  /** minutes after the expected time before a check-in counts as missed */
  checkinMargin: number;
  /** minutes an in-progress check-in may run before it is a timeout */
  maxRuntime: number;
  timezone: string;
  failureIssueThreshold: number;
  recoveryThreshold: number;
  owner: string | null;
};

const MONITOR_DEFAULTS = {
  checkinMargin: 1,
  maxRuntime: 30,
  timezone: "UTC",
  failureIssueThreshold: 1,
  recoveryThreshold: 1,
} as const;

// Sentry's bounds: 28 days of margin or runtime, 720 check-ins for thresholds.
const MAX_MINUTES = 40_320;
const MAX_THRESHOLD = 720;
const MAX_OWNER_LENGTH = 200;

export type ParsedConfig = { ok: true; config: MonitorConfig } | { ok: false; reason: string };

/**
 * Parses a monitor config from an SDK's check-in (`monitor_config`: `schedule: {type, value,
 * unit?}`) or from the API (`config`: `schedule_type` with `schedule` "0 * * * *" or
 * [1, "minute"]); the other keys are snake_case in both. Missing or null numbers take Sentry's
 * defaults; anything of the wrong type or out of range refuses the whole config (hostile
 * input: nothing is clamped into something the sender did not ask for).
 */
export function parseMonitorConfig(input: unknown): ParsedConfig {
  if (!isObject(input)) return { ok: false, reason: "monitor config must be an object" };
  const schedule = parseSchedule(input);
  if (!schedule.ok) return schedule;

  const numbers = {
    checkinMargin: bounded(input.checkin_margin, "checkin_margin", MONITOR_DEFAULTS.checkinMargin, MAX_MINUTES),
    maxRuntime: bounded(input.max_runtime, "max_runtime", MONITOR_DEFAULTS.maxRuntime, MAX_MINUTES),
    failureIssueThreshold: bounded(
      input.failure_issue_threshold,
      "failure_issue_threshold",
      MONITOR_DEFAULTS.failureIssueThreshold,
      MAX_THRESHOLD,
    ),
    recoveryThreshold: bounded(input.recovery_threshold, "recovery_threshold", MONITOR_DEFAULTS.recoveryThreshold, MAX_THRESHOLD),
  };
  for (const value of Object.values(numbers)) if (typeof value === "string") return { ok: false, reason: value };

  const timezone = input.timezone ?? MONITOR_DEFAULTS.timezone;
  if (typeof timezone !== "string" || !isValidTimeZone(timezone)) {
    return { ok: false, reason: "timezone must be an IANA time zone" };
  }
  const owner = input.owner ?? null;
  if (owner !== null && (typeof owner !== "string" || owner.length > MAX_OWNER_LENGTH)) {
    return { ok: false, reason: "owner must be a string" };
  }
  return {
    ok: true,
    config: {
      ...schedule.value,
      checkinMargin: numbers.checkinMargin as number,
      maxRuntime: numbers.maxRuntime as number,
      failureIssueThreshold: numbers.failureIssueThreshold as number,
      recoveryThreshold: numbers.recoveryThreshold as number,
      timezone,
      owner: owner === "" ? null : owner,
    },
  };
}

type ParsedSchedule = { ok: true; value: Pick<MonitorConfig, "scheduleType" | "schedule"> } | { ok: false; reason: string };

function parseSchedule(input: Record<string, unknown>): ParsedSchedule {
  const raw = input.schedule;
  // SDK form: {type: "crontab", value: "0 * * * *"} | {type: "interval", value: 1, unit: "minute"}
  if (isObject(raw)) {
    if (raw.type === "crontab") return crontab(raw.value);
    if (raw.type === "interval") return interval(raw.value, raw.unit);
    return { ok: false, reason: "schedule.type must be crontab or interval" };
  }
  // API form: schedule_type (optional: inferred from the schedule's shape) + schedule
  const type = input.schedule_type ?? (Array.isArray(raw) ? "interval" : "crontab");
  if (type === "crontab") return crontab(raw);
  if (type === "interval") {
    if (!Array.isArray(raw) || raw.length !== 2) return { ok: false, reason: "an interval schedule is [value, unit]" };
    return interval(raw[0], raw[1]);
  }
  return { ok: false, reason: "schedule_type must be crontab or interval" };
}

function crontab(value: unknown): ParsedSchedule {
  if (typeof value !== "string") return { ok: false, reason: "a crontab schedule must be a string" };
  const parsed = parseCrontab(value);
  return parsed.ok ? { ok: true, value: { scheduleType: "crontab", schedule: parsed.crontab } } : parsed;
}

function interval(value: unknown, unit: unknown): ParsedSchedule {
  if (typeof unit !== "string" || !(INTERVAL_UNITS as readonly string[]).includes(unit)) {
    return { ok: false, reason: `interval unit must be one of ${INTERVAL_UNITS.join(", ")}` };
  }
  const max = MAX_INTERVAL[unit as IntervalUnit];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    return { ok: false, reason: `interval value must be an integer from 1 to ${max}` };
  }
  return { ok: true, value: { scheduleType: "interval", schedule: `${value} ${unit}` } };
}

/** The number, the default when absent, or the reason it is refused. */
function bounded(value: unknown, name: string, fallback: number, max: number): number | string {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    return `${name} must be an integer from 1 to ${max}`;
  }
  return value;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const MAX_SLUG_LENGTH = 50;

/**
 * A monitor slug as Sentry keeps it: lower case, runs of anything but letters, digits, "_" and
 * "-" made one "-", at most 50 characters. null when nothing is left.
 */
export function normalizeMonitorSlug(input: unknown): string | null {
  if (typeof input !== "string") return null;
  const slug = input
    .slice(0, 200)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/, "");
  return slug === "" ? null : slug;
}
