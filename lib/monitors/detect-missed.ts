import { createHash } from "node:crypto";
import type { SqlTx } from "../db";
import { catchUp } from "./detect-catch-up";
import type { DueEnvironment, MonitorFailure } from "./detect-types";

// One batch of the minute job's first pass: monitor environments past their deadline
// (next_check_in_latest) get a `missed` check-in per expected time that went by, and their
// schedule moves on.

/**
 * The check-in id of the miss of one expected time: two workers, or a run repeated after a
 * crash, insert the same id, which (project_id, check_in_id) keeps unique.
 */
export function missedCheckInId(environmentId: number, expected: Date): string {
  return createHash("sha256")
    .update(`missed:${environmentId}:${expected.toISOString()}`)
    .digest("hex")
    .slice(0, 32);
}

/**
 * Locks up to `limit` due environments (skipping those another worker holds: it is marking
 * them), records their misses, and returns the failures for the incident code, which runs in
 * the same transaction. The oldest deadlines go first, so a backlog drains in order.
 */
export async function markMissedBatch(
  tx: SqlTx,
  now: Date,
  limit: number,
): Promise<{ environments: number; failures: MonitorFailure[] }> {
  // The index on next_check_in_latest gives the due rows in order; `of me` locks only the
  // environment (the monitor row stays free for the API and the check-in path).
  const due = await tx.rows<DueEnvironment>`
    select me.id, me.monitor_id as "monitorId", me.environment, me.next_check_in as "nextCheckIn",
           me.next_check_in_latest as "nextCheckInLatest", m.project_id as "projectId", m.org_id as "orgId",
           m.slug, m.status, m.is_muted as "isMuted", m.schedule_type as "scheduleType", m.schedule, m.timezone,
           m.checkin_margin as "checkinMargin", m.max_runtime as "maxRuntime",
           m.failure_issue_threshold as "failureIssueThreshold", m.recovery_threshold as "recoveryThreshold",
           me.consecutive_failures as "consecutiveFailures", me.consecutive_oks as "consecutiveOks", me.issue_id as "issueId"
    from monitor_environments me join monitors m on m.id = me.monitor_id
    where me.next_check_in_latest <= ${now}
    order by me.next_check_in_latest
    limit ${limit}
    for update of me skip locked`;
  if (due.length === 0) return { environments: 0, failures: [] };

  const missed: { env: DueEnvironment; expected: Date; checkInId: string; skipped: boolean }[] = [];
  const moved: { id: number; next: Date | null; nextLatest: Date | null; missed: boolean }[] = [];
  for (const env of due) {
    // Rows are hostile only through the API that wrote them, but a schedule that fails must
    // cost this environment its expectations, not the batch (catchUp returns next = null).
    const expected =
      env.nextCheckIn ?? new Date(env.nextCheckInLatest.getTime() - env.checkinMargin * 60_000);
    const active = env.status === "active";
    const step = catchUp(env, expected, now, active);
    for (const [i, at] of step.missed.entries()) {
      const last = i === step.missed.length - 1;
      missed.push({
        env,
        expected: at,
        checkInId: missedCheckInId(env.id, at),
        skipped: step.skipped && last,
      });
    }
    moved.push({ id: env.id, next: step.next, nextLatest: step.nextLatest, missed: step.missed.length > 0 });
  }

  // Only rows actually inserted fail the monitor: a rerun over the same expected time finds
  // its check-in there and counts nothing twice.
  const inserted = new Set<string>();
  if (missed.length > 0) {
    const rows = await tx.rows<{ check_in_id: string }>`
      insert into check_ins (project_id, check_in_id, monitor_slug, monitor_id, monitor_environment_id, status,
                             environment, expected_time, created_at, updated_at, payload)
      select m.project_id, m.check_in_id, m.slug, m.monitor_id, m.env_id, 'missed', m.environment, m.expected, m.expected,
             ${now}::timestamptz, m.payload
      from unnest(${missed.map((m) => m.env.projectId)}::int[], ${missed.map((m) => m.checkInId)}::text[],
                  ${missed.map((m) => m.env.slug)}::text[], ${missed.map((m) => m.env.monitorId)}::int[],
                  ${missed.map((m) => m.env.id)}::int[], ${missed.map((m) => m.env.environment)}::text[],
                  ${missed.map((m) => m.expected.toISOString())}::timestamptz[],
                  ${missed.map((m) => JSON.stringify(payload(m.env, m.checkInId, m.expected, m.skipped)))}::jsonb[])
           as m(project_id, check_in_id, slug, monitor_id, env_id, environment, expected, payload)
      on conflict (project_id, check_in_id) do nothing
      returning check_in_id`;
    for (const row of rows) inserted.add(row.check_in_id);
  }

  await tx.run`
    update monitor_environments me
    set next_check_in = u.next, next_check_in_latest = u.latest,
        status = case when u.missed then 'missed_checkin' else me.status end
    from unnest(${moved.map((m) => m.id)}::int[], ${moved.map((m) => m.next?.toISOString() ?? null)}::timestamptz[],
                ${moved.map((m) => m.nextLatest?.toISOString() ?? null)}::timestamptz[], ${moved.map((m) => m.missed)}::bool[])
         as u(id, next, latest, missed)
    where me.id = u.id`;

  const failures = missed
    .filter((m) => inserted.has(m.checkInId))
    .map(
      (m): MonitorFailure => ({
        environment: m.env,
        status: "missed",
        checkInId: m.checkInId,
        at: m.expected,
      }),
    );
  return { environments: due.length, failures };
}

function payload(env: DueEnvironment, checkInId: string, expected: Date, skipped: boolean) {
  return {
    check_in_id: checkInId,
    monitor_slug: env.slug,
    status: "missed",
    environment: env.environment,
    expected_time: expected.toISOString(),
    // the bound of detect-catch-up.ts: later expected times of the outage were not recorded
    ...(skipped ? { later_misses_not_recorded: true } : {}),
  };
}
