import { createHash } from "node:crypto";
import { evaluateAlertRules } from "../alerts/evaluate";
import type { SqlTx } from "../db";
import { GROUPING_VERSION } from "../events/grouping";
import { normalizeEvent } from "../events/normalize";
import { type PreparedEvent, preparedEventOf } from "../events/prepare";
import { type StoredErrors, storeErrorEvents } from "../events/store-errors";

// Monitor failure issues. A monitor environment opens an issue of type "monitor" after
// failure_issue_threshold consecutive failures (error, missed, timeout) and resolves it after
// recovery_threshold consecutive oks. The issue is made of ordinary error events, one per
// failing check-in once the threshold is reached, stored by storeErrorEvents, so alert rules
// (first seen, regression) and the issue pages treat it like any other issue, and a failure
// after a resolution reopens it as a regression.
//
// Both writers of check-in outcomes use this: the check-in store (lib/monitors/store-check-ins.ts,
// on a project's lane 0) and the minute job that marks missed and timed-out check-ins. Both
// lock the monitor_environments rows involved first (sorted by id), so the lock order is
// monitor_environments -> project -> grouping hashes -> events -> issues, as storeErrorEvents
// expects; the resolutions come last, after the events.
//
// Use, inside the caller's transaction, with the environments' rows locked and read into
// IncidentEnvironment objects:
//   const incidents = new MonitorIncidents(project);
//   incidents.record(environment, "error", checkIn);   // each closed check-in, in time order
//   const errors = await storeErrorEvents(tx, project, [...batchEvents, ...incidents.events()], now);
//   await incidents.finish(tx, errors, now);            // counters, issue ids, resolutions
// or, with no other events to store: `await storeIncidents(tx, project, incidents, now)`.

export type FailureStatus = "error" | "missed" | "timeout";
export type OutcomeStatus = "ok" | FailureStatus;

/** A monitor environment's row (locked by the caller) and its monitor's thresholds. */
export type IncidentEnvironment = {
  /** monitor_environments.id */
  id: number;
  monitorId: number;
  slug: string;
  /** as stored ("production" for an empty one) */
  environment: string;
  isMuted: boolean;
  failureIssueThreshold: number;
  recoveryThreshold: number;
  consecutiveFailures: number;
  consecutiveOks: number;
  issueId: number | null;
};

/** The check-in that closed with this outcome. */
export type OutcomeCheckIn = {
  /** check_ins.check_in_id: the synthetic event's id is derived from it */
  checkInId: string;
  /** when it happened (a missed one: the expected time) */
  at: Date;
  release?: string | null;
  traceId?: string | null;
  /** the stream entry it came from, if any (the batch isolates failing items by it) */
  entryId?: string;
};

type Project = { id: number; orgId: number; hasFirstEvent: boolean };
type Tracked = { environment: IncidentEnvironment; resolve: boolean; events: PreparedEvent[] };

export class MonitorIncidents {
  private readonly tracked = new Map<number, Tracked>();

  constructor(private readonly project: { id: number; orgId: number }) {}

  /**
   * Counts one closed check-in of the environment, in time order. Moves the environment
   * object's counters (finish writes them), and queues a failure event once the failures
   * reach the threshold, or a resolution once the oks reach the recovery threshold.
   * A muted monitor's counters move, but it opens nothing.
   */
  record(environment: IncidentEnvironment, status: OutcomeStatus, checkIn: OutcomeCheckIn): void {
    let tracked = this.tracked.get(environment.id);
    if (!tracked) {
      tracked = { environment, resolve: false, events: [] };
      this.tracked.set(environment.id, tracked);
    }
    const env = tracked.environment;
    if (status === "ok") {
      env.consecutiveOks += 1;
      env.consecutiveFailures = 0;
      // An issue this very batch opened counts as open too.
      const open = env.issueId !== null || tracked.events.length > 0;
      if (open && env.consecutiveOks >= env.recoveryThreshold) tracked.resolve = true;
      return;
    }
    env.consecutiveFailures += 1;
    env.consecutiveOks = 0;
    if (env.isMuted || env.consecutiveFailures < env.failureIssueThreshold) return;
    // Failing again before the resolution was written: the issue simply stays open.
    tracked.resolve = false;
    tracked.events.push(failureEvent(this.project.id, env, status, checkIn));
  }

  /** The failure events to store, in the order recorded. */
  events(): PreparedEvent[] {
    return [...this.tracked.values()].flatMap((t) => t.events);
  }

  /**
   * After storeErrorEvents stored events() (in the same transaction): writes each tracked
   * environment's counters and issue id, and resolves the issues that recovered.
   */
  async finish(tx: SqlTx, stored: StoredErrors, now: Date): Promise<void> {
    if (this.tracked.size === 0) return;
    const issueOfEvent = new Map<string, number>();
    for (const issue of stored.issues) for (const p of issue.events) issueOfEvent.set(p.event.eventId, issue.issueId);
    // Events stored before (a second run of the minute job, a retried batch) are not among
    // the batch's issues: their issue is read back.
    const missing = this.events().filter((p) => !issueOfEvent.has(p.event.eventId)).map((p) => p.event.eventId);
    if (missing.length > 0) {
      const rows = await tx.rows<{ event_id: string; issue_id: number }>`
        select event_id, issue_id from events where project_id = ${this.project.id} and event_id = any(${missing}::text[])`;
      for (const row of rows) issueOfEvent.set(row.event_id, row.issue_id);
    }
    const toResolve: number[] = [];
    const rows = [...this.tracked.values()].sort((a, b) => a.environment.id - b.environment.id);
    for (const { environment: env, events, resolve } of rows) {
      const last = events.at(-1);
      if (last) env.issueId = issueOfEvent.get(last.event.eventId) ?? env.issueId;
      if (resolve && env.issueId !== null) {
        toResolve.push(env.issueId);
        env.issueId = null;
      }
    }
    await tx.run`
      update monitor_environments m set consecutive_failures = u.failures, consecutive_oks = u.oks, issue_id = u.issue_id
      from unnest(${rows.map((t) => t.environment.id)}::int[], ${rows.map((t) => t.environment.consecutiveFailures)}::int[],
                  ${rows.map((t) => t.environment.consecutiveOks)}::int[], ${rows.map((t) => t.environment.issueId)}::int[])
           as u(id, failures, oks, issue_id)
      where m.id = u.id`;
    if (toResolve.length > 0) await resolveRecovered(tx, this.project.id, toResolve, now);
  }
}

/**
 * Stores the failure events of `incidents` alone (the minute job: no batch of its own events),
 * evaluates alert rules on their issues and finishes. Returns the alert deliveries to queue
 * once the transaction commits (see enqueueAlertDeliveries).
 */
export async function storeIncidents(tx: SqlTx, project: Project, incidents: MonitorIncidents, now: Date): Promise<string[]> {
  const errors = await storeErrorEvents(tx, project, incidents.events(), now);
  const deliveries = await evaluateAlertRules(tx, project, errors.issues, now);
  await incidents.finish(tx, errors, now);
  return deliveries;
}

/**
 * Resolves recovered monitor issues still unresolved (a person may have resolved or ignored
 * one meanwhile: that stands), with the activity a resolution records, marked as the
 * monitor's doing.
 */
async function resolveRecovered(tx: SqlTx, projectId: number, issueIds: number[], now: Date): Promise<void> {
  const ids = [...new Set(issueIds)].sort((a, b) => a - b);
  const resolved = await tx.rows<{ id: number }>`
    update issues set status = 'resolved', substatus = null, resolved_at = ${now.toISOString()}::timestamptz,
      ignore_until = null, ignore_until_count = null, resolved_in_release_id = null, resolved_in_next_release = false,
      updated_at = now()
    where id in (select id from issues where id = any(${ids}::int[]) and project_id = ${projectId} and status = 'unresolved'
                 order by id for no key update)
    returning id`;
  if (resolved.length === 0) return;
  await tx.run`
    insert into issue_activities (issue_id, type, data)
    select id, 'set_resolved', '{"source": "monitor_recovered"}'::jsonb from unnest(${resolved.map((r) => r.id)}::int[]) as id`;
}

/** The issue type of monitor failures (issues.type). */
const MONITOR_ISSUE_TYPE = "monitor";

const STATUS_TEXT: Record<FailureStatus, string> = {
  error: "An error check-in was received",
  missed: "A missed check-in was detected",
  timeout: "A check-in timed out",
};

/**
 * One failing check-in as an error event. Its id comes from the check-in (and status), so
 * storing it twice inserts it once; its grouping hash comes from the monitor environment
 * alone, outside the space of hashes real events' fingerprints make, so every failure of one
 * monitor environment lands in one issue and no SDK event can join it.
 */
function failureEvent(projectId: number, env: IncidentEnvironment, status: FailureStatus, checkIn: OutcomeCheckIn): PreparedEvent {
  const eventId = createHash("sha256").update(`monitor-failure\n${projectId}\n${checkIn.checkInId}\n${status}`).digest("hex").slice(0, 32);
  const title = `Monitor failure: ${env.slug}`;
  const value = `${STATUS_TEXT[status]} (${env.environment})`;
  const raw = {
    event_id: eventId,
    timestamp: checkIn.at.getTime() / 1000,
    level: "error",
    platform: "other",
    logger: "monitors",
    message: title,
    environment: env.environment,
    ...(checkIn.release ? { release: checkIn.release } : {}),
    tags: { "monitor.slug": env.slug, "monitor.status": status },
    contexts: {
      monitor: { id: env.monitorId, slug: env.slug, status, environment: env.environment, check_in_id: checkIn.checkInId },
      ...(checkIn.traceId ? { trace: { trace_id: checkIn.traceId } } : {}),
    },
    extra: { detail: value },
  };
  const event = normalizeEvent(raw, { eventId, receivedAt: checkIn.at, scrub: false, itemType: "event" });
  const hash = createHash("md5").update(`monitor-environment:${env.id}`).digest("hex");
  return preparedEventOf(
    checkIn.entryId ?? `monitor:${checkIn.checkInId}`,
    event,
    {
      hashes: [hash],
      title,
      culprit: `${env.slug} (${env.environment})`,
      metadata: { title, value, monitor: { id: env.monitorId, slug: env.slug, environment: env.environment } },
      groupingVersion: GROUPING_VERSION,
    },
    MONITOR_ISSUE_TYPE,
  );
}
