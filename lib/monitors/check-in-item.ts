import { obj } from "../events/item-values";
import type { OutcomeReason } from "../usage/outcome-values";
import { type MonitorConfig, normalizeMonitorSlug, parseMonitorConfig } from "./config";

// Reading one check_in item (an SDK's envelope item, or ingest's HTTP form turned into one).
// Hostile input: a field of the wrong type refuses the check-in; nothing is guessed.

export type CheckInStatus = "in_progress" | "ok" | "error" | "unknown";

export type CheckInItem = {
  /** 32 lower-case hex; null for the all-zero id ("the latest in-progress one") */
  checkInId: string | null;
  slug: string;
  status: CheckInStatus;
  /** "production" when the SDK sent none or "" (as Sentry shows it) */
  environment: string;
  /** milliseconds, from the SDK's seconds */
  durationMs: number | null;
  release: string | null;
  traceId: string | null;
  /** null: the check-in carries no monitor_config */
  config: MonitorConfig | null;
};

export type ReadCheckIn = { ok: true; item: CheckInItem } | { ok: false; reason: OutcomeReason };

const ZERO_CHECK_IN_ID = "0".repeat(32);
const DEFAULT_ENVIRONMENT = "production";
const MAX_ENVIRONMENT = 64;
const MAX_RELEASE = 200;
// A year, in seconds: past that a duration is no job's.
export const MAX_DURATION_S = 365 * 86_400;
const HEX32 = /^[0-9a-f]{32}$/;

/** A check-in id as stored: 32 lower-case hex, dashes (a UUID's) removed. */
export function normalizeCheckInId(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 36) return null;
  const id = value.replace(/-/g, "").toLowerCase();
  return HEX32.test(id) ? id : null;
}

export function readCheckIn(data: Record<string, unknown>): ReadCheckIn {
  const checkInId = normalizeCheckInId(data.check_in_id);
  const slug = normalizeMonitorSlug(data.monitor_slug);
  if (!checkInId || !slug || typeof data.status !== "string") return { ok: false, reason: "invalid_check_in" };
  // Relay reads any other status (an SDK's "missed" too) as unknown: the SDK cannot decide a
  // check-in was missed, only the schedule can.
  const status: CheckInStatus = ["in_progress", "ok", "error"].includes(data.status) ? (data.status as CheckInStatus) : "unknown";

  const environment = data.environment ?? "";
  if (typeof environment !== "string" || environment.length > MAX_ENVIRONMENT) return { ok: false, reason: "invalid_check_in" };
  const duration = data.duration ?? null;
  if (duration !== null && (typeof duration !== "number" || !Number.isFinite(duration) || duration < 0 || duration > MAX_DURATION_S)) {
    return { ok: false, reason: "invalid_check_in" };
  }
  const release = data.release ?? null;
  if (release !== null && (typeof release !== "string" || release.length > MAX_RELEASE)) return { ok: false, reason: "invalid_check_in" };

  let config: MonitorConfig | null = null;
  if (data.monitor_config !== undefined && data.monitor_config !== null) {
    const parsed = parseMonitorConfig(data.monitor_config);
    if (!parsed.ok) return { ok: false, reason: "invalid_monitor_config" };
    config = parsed.config;
  }
  const traceId = obj(obj(data.contexts).trace).trace_id;
  return {
    ok: true,
    item: {
      checkInId: checkInId === ZERO_CHECK_IN_ID ? null : checkInId,
      slug,
      status,
      environment: environment.trim() === "" ? DEFAULT_ENVIRONMENT : environment,
      durationMs: duration === null ? null : Math.round(duration * 1000),
      release: release === "" ? null : release,
      traceId: typeof traceId === "string" && HEX32.test(traceId) ? traceId : null,
      config,
    },
  };
}
