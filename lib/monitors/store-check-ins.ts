import { createHash } from "node:crypto";
import type { SqlTx } from "../db";
import type { PreparedItem } from "../events/prepare";
import type { OutcomeReason } from "../usage/outcome-values";
import { type CheckInItem, readCheckIn } from "./check-in-item";
import type { MonitorConfig } from "./config";
import { type IncidentEnvironment, MonitorIncidents } from "./incidents";
import { unsafeMonitorAllowance } from "./quota";
import { nextScheduledTime } from "./schedule";

// Cron check-ins of one batch (a project's lane 0), in the batch's transaction.
//
// 1. Each item is read (check-in-item.ts); a monitor_config creates or updates the monitor.
// 2. The monitor environments involved are created if new and locked, sorted by id: the first
//    locks this transaction takes after the checkpoint, as the minute job takes them first too
//    (lib/monitors/incidents.ts has the whole order).
// 3. The check-ins are applied in stream order in memory (an in_progress and its ok may share
//    a batch), then written with a few statements for the whole batch.
// The failure events the check-ins call for come back in `incidents`, for the caller to store
// with the batch's events and finish (see storeBatch in lib/events/process-batch.ts).

export type DroppedCheckIn = { category: "monitor"; reason: OutcomeReason; outcome?: "rate_limited" };
export type StoredCheckIns = { incidents: MonitorIncidents; dropped: DroppedCheckIn[] };

type Project = { id: number; orgId: number };

type Monitor = MonitorConfig & { id: number; slug: string; status: string; isMuted: boolean };

type Environment = IncidentEnvironment & {
  status: string;
  lastCheckIn: Date | null;
  nextCheckIn: Date | null;
  nextCheckInLatest: Date | null;
  changed: boolean;
};

type Row = {
  /** check_ins.id of a stored row; null for one this batch creates */
  id: string | null;
  checkInId: string;
  monitorId: number;
  environmentId: number;
  status: string;
  durationMs: number | null;
  release: string | null;
  traceId: string | null;
  expectedTime: Date | null;
  timeoutAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  payload: Record<string, unknown> | null;
  changed: boolean;
};

type Pending = { item: CheckInItem; prepared: PreparedItem; monitor: Monitor };

export async function storeCheckIns(tx: SqlTx, project: Project, items: PreparedItem[]): Promise<StoredCheckIns> {
  const incidents = new MonitorIncidents(project);
  const dropped: DroppedCheckIn[] = [];
  if (items.length === 0) return { incidents, dropped };
  const drop = (reason: OutcomeReason, outcome?: "rate_limited") => dropped.push({ category: "monitor", reason, ...(outcome ? { outcome } : {}) });

  const read: { item: CheckInItem; prepared: PreparedItem }[] = [];
  for (const prepared of items) {
    const result = readCheckIn(prepared.data);
    if (result.ok) read.push({ item: result.item, prepared });
    else drop(result.reason);
  }
  const monitors = await loadMonitors(tx, project.id, [...new Set(read.map((r) => r.item.slug))]);
  const pending: Pending[] = [];
  let allowance: Awaited<ReturnType<typeof unsafeMonitorAllowance>> | null = null;
  for (const { item, prepared } of read) {
    let monitor = monitors.get(item.slug);
    if (item.config && !monitor) {
      allowance ??= await unsafeMonitorAllowance(tx, project.orgId);
      if (!allowance.allowed) {
        drop("monitor_limit", "rate_limited");
        continue;
      }
      monitor = await createMonitor(tx, project, item.slug, item.config);
      monitors.set(item.slug, monitor);
      allowance.count += 1;
      allowance.allowed = allowance.limit === null || allowance.count < allowance.limit;
    } else if (item.config && monitor && !sameConfig(monitor, item.config)) {
      await updateMonitorConfig(tx, monitor.id, item.config);
      Object.assign(monitor, item.config);
    }
    if (!monitor) drop("monitor_not_found");
    else if (monitor.status === "disabled") drop("monitor_disabled");
    else pending.push({ item, prepared, monitor });
  }
  if (pending.length === 0) return { incidents, dropped };

  const environments = await lockEnvironments(tx, pending);
  // Check-ins naming an environment past the bound (MAX_ENVIRONMENTS_PER_MONITOR) go no further.
  const placed = pending.filter((p) => environments.has(envKey(p.monitor.id, p.item.environment)));
  for (let i = placed.length; i < pending.length; i++) drop("monitor_environment_limit");
  const rows = await loadCheckIns(tx, project.id, placed, environments);
  for (const p of placed) {
    const env = environments.get(envKey(p.monitor.id, p.item.environment))!;
    const reason = apply(project.id, p, env, rows, incidents);
    if (reason) drop(reason);
  }
  await writeCheckIns(tx, project.id, [...rows.values()].filter((r) => r.changed));
  await writeEnvironments(tx, [...environments.values()].filter((e) => e.changed));
  return { incidents, dropped };
}

const envKey = (monitorId: number, environment: string) => `${monitorId}\n${environment}`;

/** Applies one check-in to the rows and its environment; the reason when it is dropped. */
function apply(projectId: number, { item, prepared, monitor }: Pending, env: Environment, rows: Map<string, Row>, incidents: MonitorIncidents): OutcomeReason | null {
  const at = prepared.entry.receivedAt;
  const existing = item.checkInId ? rows.get(item.checkInId) : latestInProgress(rows, env.id);
  if (existing && existing.environmentId !== env.id) return "invalid_check_in";
  // A finished check-in stays as it finished (a late ok after a timeout, an SDK's resend).
  if (existing && existing.status !== "in_progress") return "check_in_finished";

  let row: Row;
  if (existing) {
    row = existing;
    if (item.status === "in_progress") {
      row.updatedAt = at;
      row.changed = true;
      return null;
    }
    row.status = item.status;
    // No duration: the time since the in-progress check-in began.
    row.durationMs = item.durationMs ?? Math.max(0, at.getTime() - row.createdAt.getTime());
    row.timeoutAt = null;
  } else {
    row = {
      id: null,
      // The all-zero id with nothing in progress starts a check-in whose id comes from its
      // stream entry (stable if the batch is retried).
      checkInId: item.checkInId ?? createHash("sha256").update(`${projectId}\n${prepared.entryId}`).digest("hex").slice(0, 32),
      monitorId: monitor.id,
      environmentId: env.id,
      status: item.status,
      durationMs: item.durationMs,
      release: null,
      traceId: null,
      expectedTime: env.nextCheckIn,
      timeoutAt: item.status === "in_progress" ? new Date(at.getTime() + monitor.maxRuntime * 60_000) : null,
      createdAt: at,
      updatedAt: at,
      payload: null,
      changed: true,
    };
    rows.set(row.checkInId, row);
  }
  row.release = item.release ?? row.release;
  row.traceId = item.traceId ?? row.traceId;
  row.updatedAt = at;
  row.payload = prepared.data;
  row.changed = true;

  // The run began when its first check-in came: that time schedules the next one (an
  // interval monitor's anchor). Never backwards: the minute job may have moved past it.
  const began = row.createdAt;
  const next = nextScheduledTime(monitor, began);
  if (!env.nextCheckIn || next > env.nextCheckIn) {
    env.nextCheckIn = next;
    env.nextCheckInLatest = new Date(next.getTime() + monitor.checkinMargin * 60_000);
  }
  if (!env.lastCheckIn || began > env.lastCheckIn) env.lastCheckIn = began;
  env.changed = true;
  if (row.status === "ok" || row.status === "error") {
    env.status = row.status;
    incidents.record(env, row.status, { checkInId: row.checkInId, at, release: row.release, traceId: row.traceId, entryId: prepared.entryId });
  }
  return null;
}

function latestInProgress(rows: Map<string, Row>, environmentId: number): Row | undefined {
  let latest: Row | undefined;
  for (const row of rows.values()) {
    if (row.environmentId !== environmentId || row.status !== "in_progress") continue;
    if (!latest || row.createdAt > latest.createdAt) latest = row;
  }
  return latest;
}

async function loadMonitors(tx: SqlTx, projectId: number, slugs: string[]): Promise<Map<string, Monitor>> {
  if (slugs.length === 0) return new Map();
  const rows = await tx.rows<Monitor>`
    select id, slug, status, is_muted as "isMuted", schedule_type as "scheduleType", schedule, checkin_margin as "checkinMargin",
           max_runtime as "maxRuntime", timezone, failure_issue_threshold as "failureIssueThreshold",
           recovery_threshold as "recoveryThreshold", owner
    from monitors where project_id = ${projectId} and slug = any(${slugs}::text[])`;
  return new Map(rows.map((m) => [m.slug, m]));
}

async function createMonitor(tx: SqlTx, project: Project, slug: string, c: MonitorConfig): Promise<Monitor> {
  // A monitor the API created meanwhile (committed after this batch read) is updated instead.
  const [row] = await tx.rows<{ id: number; status: string; isMuted: boolean }>`
    insert into monitors (org_id, project_id, slug, name, schedule_type, schedule, checkin_margin, max_runtime, timezone,
                          failure_issue_threshold, recovery_threshold, owner)
    values (${project.orgId}, ${project.id}, ${slug}, ${slug}, ${c.scheduleType}, ${c.schedule}, ${c.checkinMargin}, ${c.maxRuntime},
            ${c.timezone}, ${c.failureIssueThreshold}, ${c.recoveryThreshold}, ${c.owner})
    on conflict (project_id, slug) do update set
      schedule_type = excluded.schedule_type, schedule = excluded.schedule, checkin_margin = excluded.checkin_margin,
      max_runtime = excluded.max_runtime, timezone = excluded.timezone, failure_issue_threshold = excluded.failure_issue_threshold,
      recovery_threshold = excluded.recovery_threshold, owner = coalesce(excluded.owner, monitors.owner), date_updated = now()
    returning id, status, is_muted as "isMuted"`;
  return { ...c, ...row!, slug };
}

async function updateMonitorConfig(tx: SqlTx, monitorId: number, c: MonitorConfig): Promise<void> {
  // An owner the SDK does not send is left as the API set it.
  await tx.run`
    update monitors set schedule_type = ${c.scheduleType}, schedule = ${c.schedule}, checkin_margin = ${c.checkinMargin},
      max_runtime = ${c.maxRuntime}, timezone = ${c.timezone}, failure_issue_threshold = ${c.failureIssueThreshold},
      recovery_threshold = ${c.recoveryThreshold}, owner = coalesce(${c.owner}, owner), date_updated = now()
    where id = ${monitorId}`;
}

function sameConfig(m: Monitor, c: MonitorConfig): boolean {
  return (
    m.scheduleType === c.scheduleType &&
    m.schedule === c.schedule &&
    m.checkinMargin === c.checkinMargin &&
    m.maxRuntime === c.maxRuntime &&
    m.timezone === c.timezone &&
    m.failureIssueThreshold === c.failureIssueThreshold &&
    m.recoveryThreshold === c.recoveryThreshold &&
    (c.owner === null || m.owner === c.owner)
  );
}

/**
 * Sentry's bound on one monitor's environments (MAX_ENVIRONMENTS_PER_MONITOR): each check-in may
 * name a new one, and each is scheduled, missed and failing on its own (an issue each), so a DSN
 * holder could otherwise make any number. A check-in naming one more is dropped.
 */
const MAX_ENVIRONMENTS_PER_MONITOR = 1000;

type EnvRow = {
  id: number;
  monitorId: number;
  environment: string;
  status: string;
  lastCheckIn: Date | null;
  nextCheckIn: Date | null;
  nextCheckInLatest: Date | null;
  consecutiveFailures: number;
  consecutiveOks: number;
  issueId: number | null;
};

/**
 * Creates the batch's new monitor environments (up to the bound) and locks all of them, in id
 * order. Environments past the bound are absent from the map.
 */
async function lockEnvironments(tx: SqlTx, pending: Pending[]): Promise<Map<string, Environment>> {
  const keys = new Map<string, [number, string, Monitor]>();
  for (const { monitor, item } of pending) keys.set(envKey(monitor.id, item.environment), [monitor.id, item.environment, monitor]);
  const pairs = [...keys.values()];
  const known = await tx.rows<{ monitorId: number; environment: string }>`
    select e.monitor_id as "monitorId", e.environment from monitor_environments e
    join unnest(${pairs.map((p) => p[0])}::int[], ${pairs.map((p) => p[1])}::text[]) as k(monitor_id, environment)
      on e.monitor_id = k.monitor_id and e.environment = k.environment`;
  const existing = new Set(known.map((r) => envKey(r.monitorId, r.environment)));
  const missing = pairs.filter(([monitorId, environment]) => !existing.has(envKey(monitorId, environment)));
  const refused = new Set<[number, string, Monitor]>();
  if (missing.length > 0) {
    // A project's check-ins are stored by its lane 0 alone: nothing else adds environments meanwhile.
    const counted = await tx.rows<{ monitorId: number; count: number }>`
      select monitor_id as "monitorId", count(*)::int as count from monitor_environments
      where monitor_id = any(${[...new Set(missing.map((p) => p[0]))]}::int[]) group by monitor_id`;
    const counts = new Map(counted.map((c) => [c.monitorId, c.count]));
    // In stream order: the first check-ins naming new environments get the room left.
    for (const pair of missing) {
      const count = counts.get(pair[0]) ?? 0;
      if (count >= MAX_ENVIRONMENTS_PER_MONITOR) refused.add(pair);
      else counts.set(pair[0], count + 1);
    }
    const fresh = missing.filter((pair) => !refused.has(pair));
    // Before any environment's lock, as before the bound: the insert's foreign key check
    // takes a key-share lock on the monitor row, which the API's edits take first.
    if (fresh.length > 0)
      await tx.run`
        insert into monitor_environments (monitor_id, environment)
        select * from unnest(${fresh.map((p) => p[0])}::int[], ${fresh.map((p) => p[1])}::text[])
        on conflict (monitor_id, environment) do nothing`;
  }
  const placed = pairs.filter((pair) => !refused.has(pair));
  const rows = await tx.rows<EnvRow>`
    select e.id, e.monitor_id as "monitorId", e.environment, e.status, e.last_check_in as "lastCheckIn",
           e.next_check_in as "nextCheckIn", e.next_check_in_latest as "nextCheckInLatest",
           e.consecutive_failures as "consecutiveFailures", e.consecutive_oks as "consecutiveOks", e.issue_id as "issueId"
    from monitor_environments e
    join unnest(${placed.map((p) => p[0])}::int[], ${placed.map((p) => p[1])}::text[]) as k(monitor_id, environment)
      on e.monitor_id = k.monitor_id and e.environment = k.environment
    order by e.id for no key update of e`;
  const environments = new Map<string, Environment>();
  for (const row of rows) {
    const monitor = keys.get(envKey(row.monitorId, row.environment))![2];
    environments.set(envKey(row.monitorId, row.environment), {
      ...row,
      slug: monitor.slug,
      isMuted: monitor.isMuted,
      failureIssueThreshold: monitor.failureIssueThreshold,
      recoveryThreshold: monitor.recoveryThreshold,
      changed: false,
    });
  }
  return environments;
}

type StoredRow = Omit<Row, "changed" | "payload">;

/**
 * The stored check-ins the batch names: by id, and for all-zero ids the in-progress ones of
 * their environments (in_progress rows are the only ones with a timeout_at).
 */
async function loadCheckIns(tx: SqlTx, projectId: number, pending: Pending[], environments: Map<string, Environment>): Promise<Map<string, Row>> {
  const ids = [...new Set(pending.flatMap((p) => p.item.checkInId ?? []))];
  const zeroEnvs = [
    ...new Set(pending.filter((p) => p.item.checkInId === null).map((p) => environments.get(envKey(p.monitor.id, p.item.environment))!.id)),
  ];
  const rows = await tx.rows<StoredRow>`
    select id::text, check_in_id as "checkInId", monitor_id as "monitorId", monitor_environment_id as "environmentId", status,
           duration_ms as "durationMs", release, trace_id as "traceId", expected_time as "expectedTime", timeout_at as "timeoutAt",
           created_at as "createdAt", updated_at as "updatedAt"
    from check_ins
    where project_id = ${projectId}
      and (check_in_id = any(${ids}::text[])
           or (monitor_environment_id = any(${zeroEnvs}::int[]) and timeout_at is not null and status = 'in_progress'))`;
  return new Map(rows.map((r) => [r.checkInId, { ...r, payload: null, changed: false }]));
}

async function writeCheckIns(tx: SqlTx, projectId: number, rows: Row[]): Promise<void> {
  const col = <T>(rs: Row[], f: (r: Row) => T) => rs.map(f);
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  const fresh = rows.filter((r) => r.id === null);
  if (fresh.length > 0) {
    await tx.run`
      insert into check_ins (project_id, check_in_id, monitor_slug, monitor_id, monitor_environment_id, status, duration_ms,
                             environment, release, trace_id, expected_time, timeout_at, created_at, updated_at, payload)
      select ${projectId}::int, x.check_in_id, m.slug, x.monitor_id, x.environment_id, x.status, x.duration_ms, e.environment,
             x.release, x.trace_id, x.expected_time, x.timeout_at, x.created_at, x.updated_at, x.payload::jsonb
      from unnest(${col(fresh, (r) => r.checkInId)}::text[], ${col(fresh, (r) => r.monitorId)}::int[],
                  ${col(fresh, (r) => r.environmentId)}::int[], ${col(fresh, (r) => r.status)}::text[],
                  ${col(fresh, (r) => r.durationMs)}::float8[], ${col(fresh, (r) => r.release)}::text[],
                  ${col(fresh, (r) => r.traceId)}::text[], ${col(fresh, (r) => iso(r.expectedTime))}::timestamptz[],
                  ${col(fresh, (r) => iso(r.timeoutAt))}::timestamptz[], ${col(fresh, (r) => iso(r.createdAt))}::timestamptz[],
                  ${col(fresh, (r) => iso(r.updatedAt))}::timestamptz[], ${col(fresh, (r) => JSON.stringify(r.payload ?? {}))}::text[])
           as x(check_in_id, monitor_id, environment_id, status, duration_ms, release, trace_id, expected_time, timeout_at,
                created_at, updated_at, payload)
      join monitors m on m.id = x.monitor_id
      join monitor_environments e on e.id = x.environment_id
      on conflict (project_id, check_in_id) do nothing`;
  }
  const stored = rows.filter((r) => r.id !== null).sort((a, b) => Number(a.id) - Number(b.id));
  if (stored.length > 0) {
    await tx.run`
      update check_ins c set status = x.status, duration_ms = x.duration_ms, release = x.release, trace_id = x.trace_id,
        timeout_at = x.timeout_at, updated_at = x.updated_at, payload = coalesce(x.payload::jsonb, c.payload)
      from unnest(${col(stored, (r) => r.id)}::int8[], ${col(stored, (r) => r.status)}::text[],
                  ${col(stored, (r) => r.durationMs)}::float8[], ${col(stored, (r) => r.release)}::text[],
                  ${col(stored, (r) => r.traceId)}::text[], ${col(stored, (r) => iso(r.timeoutAt))}::timestamptz[],
                  ${col(stored, (r) => iso(r.updatedAt))}::timestamptz[],
                  ${col(stored, (r) => (r.payload ? JSON.stringify(r.payload) : null))}::text[])
           as x(id, status, duration_ms, release, trace_id, timeout_at, updated_at, payload)
      where c.id = x.id and c.project_id = ${projectId}`;
  }
}

async function writeEnvironments(tx: SqlTx, envs: Environment[]): Promise<void> {
  if (envs.length === 0) return;
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  await tx.run`
    update monitor_environments m set status = x.status, last_check_in = x.last_check_in, next_check_in = x.next_check_in,
      next_check_in_latest = x.next_check_in_latest
    from unnest(${envs.map((e) => e.id)}::int[], ${envs.map((e) => e.status)}::text[],
                ${envs.map((e) => iso(e.lastCheckIn))}::timestamptz[], ${envs.map((e) => iso(e.nextCheckIn))}::timestamptz[],
                ${envs.map((e) => iso(e.nextCheckInLatest))}::timestamptz[])
         as x(id, status, last_check_in, next_check_in, next_check_in_latest)
    where m.id = x.id`;
}
