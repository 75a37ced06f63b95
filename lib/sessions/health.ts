import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { value, unsafeOrgProjectIds } from "./query";
import { unsafeSessionCounts, unsafeSessionUsers } from "./series";

// Release health as the releases pages show it: per release, crash-free sessions and users
// over a period with a series for a small chart, and adoption (the release's share of its
// projects' sessions in the last 24 hours, as Sentry defines it).

export type HealthPeriod = "24h" | "14d";
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
