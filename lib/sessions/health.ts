import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { AppError } from "../errors";
import { value, unsafeOrgProjectIds } from "./query";
import { type SeriesFilter, unsafeSessionCounts, unsafeSessionUsers } from "./series";

// Release health as the releases pages show it: per release, crash-free sessions and users
// over a period with a series for a small chart, and adoption (the release's share of its
// projects' sessions in the last 24 hours, as Sentry defines it).

type HealthPeriod = "24h" | "14d";
export type ReleaseHealth = {
  sessions: number;
  users: number;
  crashFreeSessions: number | null;
  crashFreeUsers: number | null;
  /** sessions of the last 24 h of the release over all sessions of the projects it had them in */
  adoption: number | null;
  sessions24h: number;
  /** per interval (hours for 24h, days for 14d), oldest first */
  sessionSeries: number[];
  crashFreeSeries: (number | null)[];
  intervals: Date[];
};

const HOUR = 3_600_000;
const PERIODS: Record<HealthPeriod, { interval: number; points: number }> = {
  "24h": { interval: 3600, points: 24 },
  "14d": { interval: 86_400, points: 14 },
};

/** The health of each of `versions` (of the viewer's org), over `projectId` or all projects. */
export async function releasesHealth(
  viewer: Viewer,
  versions: string[],
  options: { projectId?: number; period?: HealthPeriod; now?: number } = {},
): Promise<Map<string, ReleaseHealth>> {
  assertCan(viewer.role, "sessions:read");
  const out = new Map<string, ReleaseHealth>();
  if (versions.length === 0) return out;
  const projectIds = await unsafeOrgProjectIds(viewer.orgId, options.projectId === undefined ? undefined : [options.projectId]);
  const { interval, points } = PERIODS[options.period ?? "24h"];
  const step = interval * 1000;
  const now = options.now ?? Date.now();
  // The current (partial) interval is the last point.
  const end = Math.floor(now / step) * step + step;
  const start = end - points * step;
  const dayEnd = Math.floor(now / HOUR) * HOUR + HOUR;
  const base = { projectIds, interval, releases: versions };
  const [counts, users, recent] = await Promise.all([
    unsafeSessionCounts({ ...base, start: new Date(start), end: new Date(end), dimensions: ["release"] }),
    unsafeSessionUsers({ ...base, start: new Date(start), end: new Date(end), dimensions: ["release"] }),
    // every release's last 24 h, per project: the denominators of adoption
    unsafeSessionCounts({ projectIds, interval: 86_400 * 2, start: new Date(dayEnd - 24 * HOUR), end: new Date(dayEnd), dimensions: ["project", "release"] }),
  ]);
  const cells = () => Array.from({ length: points }, () => ({ started: 0, errored: 0, crashed: 0, abnormal: 0, users: 0, uErrored: 0, uAbnormal: 0, uCrashed: 0 }));
  const byRelease = new Map<string, ReturnType<typeof cells>>();
  const totalUsers = new Map<string, { users: number; crashed: number }>();
  const first = start / step;
  for (const r of counts) {
    const version = r.dims[0] as string;
    const series = byRelease.get(version) ?? cells();
    byRelease.set(version, series);
    const cell = series[r.bucket - first];
    if (!cell) continue;
    cell.started += r.started;
    cell.crashed += r.crashed;
  }
  for (const r of users) {
    const version = r.dims[0] as string;
    if (r.bucket === null) {
      totalUsers.set(version, { users: r.users, crashed: r.crashed });
      continue;
    }
    const series = byRelease.get(version) ?? cells();
    byRelease.set(version, series);
    const cell = series[r.bucket - first];
    if (cell) {
      cell.users = r.users;
      cell.uCrashed = r.crashed;
    }
  }
  // (a day may span two buckets: rows are summed, never counted per row)
  const projectTotal = new Map<number, number>();
  const releaseProjects = new Map<string, Map<number, number>>();
  for (const r of recent) {
    const [project, version] = r.dims as [number, string];
    projectTotal.set(project, (projectTotal.get(project) ?? 0) + r.started);
    const mine = releaseProjects.get(version) ?? new Map<number, number>();
    releaseProjects.set(version, mine);
    mine.set(project, (mine.get(project) ?? 0) + r.started);
  }

  for (const version of versions) {
    const series = byRelease.get(version) ?? cells();
    const sum = cells()[0]!;
    for (const c of series) {
      sum.started += c.started;
      sum.crashed += c.crashed;
    }
    const u = totalUsers.get(version) ?? { users: 0, crashed: 0 };
    let mine = 0;
    let all = 0;
    for (const [project, started] of releaseProjects.get(version) ?? []) {
      mine += started;
      all += projectTotal.get(project) ?? 0;
    }
    out.set(version, {
      sessions: sum.started,
      users: u.users,
      crashFreeSessions: value("crash_free_rate(session)", sum, undefined),
      crashFreeUsers: value("crash_free_rate(user)", { ...sum, users: u.users, uCrashed: u.crashed }, undefined),
      adoption: all > 0 ? mine / all : null,
      sessions24h: mine,
      sessionSeries: series.map((c) => c.started),
      crashFreeSeries: series.map((c) => value("crash_free_rate(session)", c, undefined)),
      intervals: series.map((_, i) => new Date(start + i * step)),
    });
  }
  return out;
}

// The releases API's `?health=1`: Sentry's healthData per (project, release) of a page of
// releases (src/sentry/api/serializers/models/release.py and get_release_health_data_overview):
// totals over summaryStatsPeriod, adoption over the last 24 h, a series over healthStatsPeriod.

/** Sentry's STATS_PERIODS: the interval (seconds) and number of points of each. */
const HEALTH_STATS_PERIODS = {
  "1h": [3600, 1],
  "24h": [3600, 24],
  "1d": [3600, 24],
  "48h": [3600, 48],
  "2d": [3600, 48],
  "7d": [86_400, 7],
  "14d": [86_400, 14],
  "30d": [86_400, 30],
  "90d": [259_200, 30],
} as const;
export type StatsPeriod = keyof typeof HEALTH_STATS_PERIODS;
export type HealthStat = "sessions" | "users";
export type HealthQuery = { summaryStatsPeriod: StatsPeriod; healthStatsPeriod?: StatsPeriod; healthStat: HealthStat };

/** Sentry's `health`, `healthStat`, `summaryStatsPeriod`, `healthStatsPeriod`; undefined without health=1. */
export function parseHealthQuery(params: Record<string, string | string[]>): HealthQuery | undefined {
  if (params.health !== "1") return undefined;
  const one = (name: string) => {
    const v = params[name];
    return Array.isArray(v) ? v[0] : v || undefined;
  };
  const period = (name: string, fallback: StatsPeriod): StatsPeriod => {
    const v = one(name) ?? fallback;
    if (!Object.hasOwn(HEALTH_STATS_PERIODS, v)) {
      const choices = Object.keys(HEALTH_STATS_PERIODS).map((k) => `'${k}'`).join(", ");
      throw new AppError("bad_request", `Invalid ${name}. Valid choices are ${choices}`);
    }
    return v as StatsPeriod;
  };
  const stat = one("healthStat") ?? "sessions";
  if (stat !== "sessions" && stat !== "users") throw new AppError("bad_request", "invalid healthStat");
  return { summaryStatsPeriod: period("summaryStatsPeriod", "14d"), healthStatsPeriod: period("healthStatsPeriod", "24h"), healthStat: stat };
}

/** Sentry's healthData of one project of one release; rates and adoption in percent. */
export type ProjectReleaseHealth = {
  /** session durations are not stored: always null */
  durationP50: null;
  durationP90: null;
  crashFreeUsers: number | null;
  crashFreeSessions: number | null;
  sessionsCrashed: number;
  /** errored only (neither crashed nor abnormal) */
  sessionsErrored: number;
  totalUsers: number;
  totalUsers24h: number | null;
  totalProjectUsers24h: number | null;
  totalSessions: number;
  totalSessions24h: number | null;
  totalProjectSessions24h: number | null;
  /** users of the release over users of the project, last 24 h */
  adoption: number | null;
  sessionsAdoption: number | null;
  stats: Record<string, [number, number][]> | null;
  hasHealthData: boolean;
};

export const healthKey = (projectId: number, version: string) => `${projectId}\n${version}`;
const DAY_S = 86_400;

/**
 * healthData for each (project, release) of `pairs`, keyed by healthKey: a fixed number of
 * statements for the whole page (totals, users, 24 h adoption, the series, and for pairs with
 * nothing in the period whether they had any session in 90 days), never one per release.
 */
export async function releaseProjectsHealth(
  viewer: Viewer,
  pairs: { projectId: number; version: string }[],
  query: HealthQuery,
  now = Date.now(),
): Promise<Map<string, ProjectReleaseHealth>> {
  assertCan(viewer.role, "sessions:read");
  const out = new Map<string, ProjectReleaseHealth>();
  if (pairs.length === 0) return out;
  // The pairs come from the org's releases; only the org's projects are read all the same.
  const owned = await db().project.findMany({
    where: { orgId: viewer.orgId, id: { in: [...new Set(pairs.map((p) => p.projectId))] } },
    select: { id: true },
  });
  const projectIds = owned.map((p) => p.id);
  const releases = [...new Set(pairs.map((p) => p.version))];
  // Hours are whole: a range ends after the current hour and spans whole periods before it.
  const hourEnd = new Date(Math.floor(now / HOUR) * HOUR + HOUR);
  const before = (seconds: number) => new Date(hourEnd.getTime() - seconds * 1000);
  const [sumStep, sumPoints] = HEALTH_STATS_PERIODS[query.summaryStatsPeriod];
  const summarySeconds = sumStep * sumPoints;
  // one bucket-sized interval per range: the rows of a pair (at most two buckets) are summed
  const range = (seconds: number, withReleases: boolean, dims: SeriesFilter["dimensions"]): SeriesFilter => ({
    projectIds,
    start: before(seconds),
    end: hourEnd,
    interval: seconds,
    dimensions: dims,
    ...(withReleases ? { releases } : {}),
  });
  const stats = query.healthStatsPeriod ? HEALTH_STATS_PERIODS[query.healthStatsPeriod] : null;
  // Sentry's buckets: the last one holds now, each starts at a multiple of the interval.
  const statsEnd = stats ? Math.floor(now / 1000 / stats[0]) * stats[0] + stats[0] : 0;
  const statsFilter: SeriesFilter | null = stats
    ? { projectIds, releases, interval: stats[0], start: new Date((statsEnd - stats[0] * stats[1]) * 1000), end: new Date(statsEnd * 1000), dimensions: ["project", "release"] }
    : null;
  const pr: SeriesFilter["dimensions"] = ["project", "release"];
  const [counts, users, counts24, userRows24, projectCounts24, projectUsers24, series] = await Promise.all([
    unsafeSessionCounts(range(summarySeconds, true, pr)),
    unsafeSessionUsers(range(summarySeconds, true, pr)),
    unsafeSessionCounts(range(DAY_S, true, pr)),
    unsafeSessionUsers(range(DAY_S, true, pr)),
    unsafeSessionCounts(range(DAY_S, false, ["project"])),
    unsafeSessionUsers(range(DAY_S, false, ["project"])),
    !statsFilter ? null : query.healthStat === "users" ? unsafeSessionUsers(statsFilter) : unsafeSessionCounts(statsFilter),
  ]);
  const key = (dims: (string | number)[]) => healthKey(dims[0] as number, dims[1] as string);
  const sum = <R extends { dims: (string | number)[] }>(rows: R[], field: (r: R) => number, by = key) => {
    const m = new Map<string, number>();
    for (const r of rows) m.set(by(r.dims), (m.get(by(r.dims)) ?? 0) + field(r));
    return m;
  };
  const started = sum(counts, (r) => r.started);
  const crashed = sum(counts, (r) => r.crashed);
  const errored = sum(counts, (r) => r.errored);
  const wholeRange = <R extends { bucket: number | null }>(rows: R[]) => rows.filter((r) => r.bucket === null);
  const userTotals = new Map(wholeRange(users).map((r) => [key(r.dims), r]));
  const started24 = sum(counts24, (r) => r.started);
  const users24 = new Map(wholeRange(userRows24).map((r) => [key(r.dims), r.users]));
  const byProject = (dims: (string | number)[]) => String(dims[0]);
  const projectStarted24 = sum(projectCounts24, (r) => r.started, byProject);
  const projectUserCount24 = new Map(wholeRange(projectUsers24).map((r) => [String(r.dims[0]), r.users]));

  // Pairs with nothing in the period: had they any session in 90 days (Sentry's hasHealthData)?
  const owns = new Set(projectIds);
  const quiet = pairs.filter((p) => owns.has(p.projectId) && !started.has(healthKey(p.projectId, p.version)));
  let seen = new Set<string>();
  if (quiet.length > 0 && summarySeconds < 90 * DAY_S) {
    const earlier = await unsafeSessionCounts({ ...range(90 * DAY_S, false, pr), releases: [...new Set(quiet.map((p) => p.version))] });
    seen = new Set(earlier.filter((r) => r.started > 0).map((r) => key(r.dims)));
  }

  for (const { projectId, version } of pairs) {
    const k = healthKey(projectId, version);
    if (!owns.has(projectId) || out.has(k)) continue;
    const sessions = started.get(k) ?? 0;
    const u = userTotals.get(k);
    const s24 = started24.get(k);
    const u24 = users24.get(k);
    const inDay = s24 !== undefined || u24 !== undefined;
    const pS24 = inDay ? (projectStarted24.get(String(projectId)) ?? 0) : null;
    const pU24 = inDay ? (projectUserCount24.get(String(projectId)) ?? 0) : null;
    let points: [number, number][] | undefined;
    if (stats && statsFilter && query.healthStatsPeriod) {
      const first = statsEnd - stats[0] * stats[1];
      points = Array.from({ length: stats[1] }, (_, i) => [first + i * stats[0], 0]);
      for (const r of series ?? []) {
        if (r.bucket === null || key(r.dims) !== k) continue;
        const point = points[r.bucket - first / stats[0]];
        if (point) point[1] += "users" in r ? r.users : r.started;
      }
    }
    out.set(k, {
      durationP50: null,
      durationP90: null,
      crashFreeUsers: u && u.users > 0 ? 100 - (u.crashed / u.users) * 100 : null,
      crashFreeSessions: sessions > 0 ? 100 - Math.min((crashed.get(k) ?? 0) / sessions, 1) * 100 : null,
      sessionsCrashed: crashed.get(k) ?? 0,
      sessionsErrored: errored.get(k) ?? 0,
      totalUsers: u?.users ?? 0,
      totalUsers24h: inDay ? (u24 ?? 0) : null,
      totalProjectUsers24h: pU24,
      totalSessions: sessions,
      totalSessions24h: inDay ? (s24 ?? 0) : null,
      totalProjectSessions24h: pS24,
      adoption: pU24 ? ((u24 ?? 0) / pU24) * 100 : null,
      sessionsAdoption: pS24 ? ((s24 ?? 0) / pS24) * 100 : null,
      stats: points && query.healthStatsPeriod ? { [query.healthStatsPeriod]: points } : null,
      hasHealthData: sessions > 0 || seen.has(k),
    });
  }
  return out;
}
