import type { SqlTx } from "../db";
import type { DueEnvironment, MonitorFailure } from "./detect-types";

// One batch of the minute job's second pass: in-progress check-ins past their timeout_at
// (created + max_runtime, set when they arrived) become `timeout`.

type Candidate = { id: string; envId: number | null };
type Locked = {
  id: string;
  envId: number | null;
  checkInId: string;
  createdAt: Date;
  release: string | null;
  traceId: string | null;
  superseded: boolean;
};

/**
 * Marks up to `limit` timed-out check-ins. As Sentry does (monitors/clock_tasks/check_timeout),
 * the check-in always becomes `timeout`, but it fails its monitor only when no newer ok or
 * error of the same environment came meanwhile: a job that ran on and reported fine since
 * is not failing now.
 *
 * Locks: the environments first, then the check-ins, both skipping what someone else holds
 * (the check-in path updating that very check-in, another worker): this pass never waits for
 * a row lock, so it cannot deadlock against them; what it skips it finds next minute.
 * Returns how many check-ins it marked (0: nothing it could take) and the failures.
 */
export async function markTimeoutsBatch(
  tx: SqlTx,
  now: Date,
  limit: number,
): Promise<{ marked: number; failures: MonitorFailure[] }> {
  const candidates = await tx.rows<Candidate>`
    select id::text, monitor_environment_id as "envId" from check_ins
    where status = 'in_progress' and timeout_at <= ${now}
    order by timeout_at
    limit ${limit}`;
  if (candidates.length === 0) return { marked: 0, failures: [] };

  const envIds = [...new Set(candidates.flatMap((c) => (c.envId === null ? [] : [c.envId])))].sort(
    (a, b) => a - b,
  );
  const environments = new Map<number, DueEnvironment>();
  if (envIds.length > 0) {
    const rows = await tx.rows<DueEnvironment>`
      select me.id, me.monitor_id as "monitorId", me.environment, m.project_id as "projectId", m.org_id as "orgId",
             m.slug, m.status, m.is_muted as "isMuted", m.schedule_type as "scheduleType", m.schedule, m.timezone,
             m.checkin_margin as "checkinMargin", m.max_runtime as "maxRuntime",
             m.failure_issue_threshold as "failureIssueThreshold", m.recovery_threshold as "recoveryThreshold",
           me.consecutive_failures as "consecutiveFailures", me.consecutive_oks as "consecutiveOks", me.issue_id as "issueId"
      from monitor_environments me join monitors m on m.id = me.monitor_id
      where me.id = any(${envIds}::int[])
      order by me.id
      for update of me skip locked`;
    for (const row of rows) environments.set(row.id, row);
  }
  // Check-ins of no environment (stored before monitors existed) time out alone.
  const ids = candidates.filter((c) => c.envId === null || environments.has(c.envId)).map((c) => c.id);
  if (ids.length === 0) return { marked: 0, failures: [] };

  const locked = await tx.rows<Locked>`
    select c.id::text, c.monitor_environment_id as "envId", c.check_in_id as "checkInId", c.created_at as "createdAt",
           c.release, c.trace_id as "traceId",
           exists (select 1 from check_ins n
                   where n.monitor_environment_id = c.monitor_environment_id and n.created_at > c.created_at
                     and n.status in ('ok', 'error')) as superseded
    from check_ins c
    where c.id = any(${ids}::bigint[]) and c.status = 'in_progress' and c.timeout_at <= ${now}
    order by c.id
    for update of c skip locked`;
  if (locked.length === 0) return { marked: 0, failures: [] };
  // timeout_at is kept on in-progress rows only (as the check-in path does when one closes), so
  // the index on it holds just the running check-ins' deadlines, and this pass reads only those.
  await tx.run`
    update check_ins set status = 'timeout', timeout_at = null, updated_at = ${now}
    where id = any(${locked.map((c) => c.id)}::bigint[])`;

  const failing = locked.filter((c) => c.envId !== null && !c.superseded);
  const failedEnvs = [...new Set(failing.map((c) => c.envId!))];
  if (failedEnvs.length > 0) {
    await tx.run`update monitor_environments set status = 'timeout' where id = any(${failedEnvs}::int[])`;
  }
  const failures = failing.map(
    (c): MonitorFailure => ({
      environment: environments.get(c.envId!)!,
      status: "timeout",
      checkInId: c.checkInId,
      at: c.createdAt,
      release: c.release,
      traceId: c.traceId,
    }),
  );
  return { marked: locked.length, failures };
}
