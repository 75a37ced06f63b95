import type { CheckInView } from "./api-checkins";
import type { MonitorView } from "./api-read";
import { scheduleForApi } from "./schedule";

// Sentry's JSON shapes of a monitor and a check-in (its MonitorSerializer and
// MonitorCheckInSerializer), ids as strings like the other routes.

const iso = (date: Date | null) => date?.toISOString() ?? null;

export function serializeMonitor(monitor: MonitorView) {
  return {
    id: String(monitor.id),
    slug: monitor.slug,
    name: monitor.name,
    status: monitor.status,
    isMuted: monitor.isMuted,
    project: { id: String(monitor.project.id), slug: monitor.project.slug, name: monitor.project.name },
    dateCreated: monitor.dateCreated.toISOString(),
    config: {
      schedule_type: monitor.scheduleType,
      schedule: scheduleForApi(monitor),
      checkin_margin: monitor.checkinMargin,
      max_runtime: monitor.maxRuntime,
      timezone: monitor.timezone,
      failure_issue_threshold: monitor.failureIssueThreshold,
      recovery_threshold: monitor.recoveryThreshold,
    },
    environments: monitor.environments.map((env) => ({
      name: env.name,
      status: env.status,
      isMuted: monitor.isMuted,
      dateCreated: env.dateCreated.toISOString(),
      lastCheckIn: iso(env.lastCheckIn),
      nextCheckIn: iso(env.nextCheckIn),
      nextCheckInLatest: iso(env.nextCheckInLatest),
    })),
  };
}

export function serializeCheckIn(checkIn: CheckInView) {
  return {
    id: checkIn.id,
    status: checkIn.status,
    // Sentry's durations are whole milliseconds
    duration: checkIn.durationMs === null ? null : Math.round(checkIn.durationMs),
    dateCreated: checkIn.dateCreated.toISOString(),
    dateUpdated: checkIn.dateUpdated.toISOString(),
    environment: checkIn.environment,
    expectedTime: iso(checkIn.expectedTime),
    release: checkIn.release,
  };
}
