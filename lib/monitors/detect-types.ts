// What the minute job's passes (detect-missed.ts, detect-timeouts.ts) hand each other and the
// incident code.

import type { IncidentEnvironment } from "./incidents";

/** A locked monitor environment with its monitor's settings (incidents.ts moves its counters). */
export type DueEnvironment = IncidentEnvironment & {
  nextCheckIn: Date | null;
  nextCheckInLatest: Date;
  projectId: number;
  orgId: number;
  /** the monitor's: active | disabled */
  status: string;
  scheduleType: "crontab" | "interval";
  schedule: string;
  timezone: string;
  checkinMargin: number;
  maxRuntime: number;
};

/** A failure found by the job, for the environment's consecutive counters and its issue. */
export type MonitorFailure = {
  environment: Omit<DueEnvironment, "nextCheckIn" | "nextCheckInLatest">;
  status: "missed" | "timeout";
  checkInId: string;
  /** missed: the expected time; timeout: when the in-progress check-in began */
  at: Date;
  release?: string | null;
  traceId?: string | null;
};
