// What the minute job's passes (detect-missed.ts, detect-timeouts.ts) hand each other and the
// incident code.

/** A locked monitor environment with its monitor's settings. */
export type DueEnvironment = {
  id: number;
  monitorId: number;
  environment: string;
  nextCheckIn: Date | null;
  nextCheckInLatest: Date;
  projectId: number;
  orgId: number;
  slug: string;
  /** the monitor's: active | disabled */
  status: string;
  isMuted: boolean;
  scheduleType: "crontab" | "interval";
  schedule: string;
  timezone: string;
  checkinMargin: number;
  maxRuntime: number;
  failureIssueThreshold: number;
  recoveryThreshold: number;
};

/** A failure found by the job, for the environment's consecutive counters and its issue. */
export type MonitorFailure = {
  environment: Omit<DueEnvironment, "nextCheckIn" | "nextCheckInLatest">;
  status: "missed" | "timeout";
  checkInId: string;
  /** missed: the expected time; timeout: when the in-progress check-in began */
  at: Date;
};
