import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { AppError } from "../errors";
import type { SessionField, SessionsQuery } from "./params";
import { type Dimension, type SessionRow, type UserRow, unsafeSessionCounts, unsafeSessionUsers } from "./series";

// GET /api/0/organizations/{org}/sessions/ in Sentry's shape: {start, end, intervals, groups:
// [{by, totals, series}], query}, from the hourly counts and users the worker keeps.

export type SessionsGroup = {
  by: Record<string, string | number>;
  totals: Record<string, number | null>;
  series: Record<string, (number | null)[]>;
};
export type SessionsResult = { start: string; end: string; intervals: string[]; groups: SessionsGroup[]; query: string };

const STATUSES = ["healthy", "abnormal", "crashed", "errored"] as const;
type Status = (typeof STATUSES)[number];
/** Sentry caps the data points of one answer (SNUBA_LIMIT): groups x intervals. */
const MAX_CELLS = 5000;
/** Sentry's timestamps: second precision, "Z". */
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * The org's projects among `ids` (all of them when undefined). An id that is not the org's
 * is not found: the answer never says whether another tenant has it.
 */
export async function unsafeOrgProjectIds(orgId: number, ids?: number[]): Promise<number[]> {
  const projects = await db().project.findMany({
    where: { orgId, ...(ids ? { id: { in: ids.filter((id) => id > 0 && id <= 2_147_483_647) } } : {}) },
    select: { id: true },
  });
  if (ids && projects.length !== ids.length) throw new AppError("not_found", "no such project");
  return projects.map((p) => p.id);
}

type Cell = { started: number; errored: number; crashed: number; abnormal: number; users: number; uErrored: number; uAbnormal: number; uCrashed: number };
const emptyCell = (): Cell => ({ started: 0, errored: 0, crashed: 0, abnormal: 0, users: 0, uErrored: 0, uAbnormal: 0, uCrashed: 0 });

/** Release health of the viewer's org, as Sentry's sessions endpoint answers it. */
export async function querySessions(viewer: Viewer, q: SessionsQuery): Promise<SessionsResult> {
  assertCan(viewer.role, "sessions:read");
  const projectIds = await unsafeOrgProjectIds(viewer.orgId, q.projectIds);
  const dimensions = q.groupBy.filter((g): g is Dimension => g !== "session.status");
  const byStatus = q.groupBy.includes("session.status");
  const step = q.interval * 1000;
  const first = q.start.getTime() / step;
  const count = (q.end.getTime() - q.start.getTime()) / step;
  const intervals = Array.from({ length: count }, (_, i) => iso(q.start.getTime() + i * step));

  const filter = { projectIds, start: q.start, end: q.end, interval: q.interval, releases: q.releases, environments: q.environments, dimensions };
  const wantsUsers = q.fields.some((f) => f.endsWith("(user)"));
  const [sessionRows, userRows] = await Promise.all([
    unsafeSessionCounts(filter),
    wantsUsers ? unsafeSessionUsers(filter) : Promise.resolve([] as UserRow[]),
  ]);

  // Per group (its dimension values): a total cell and one per interval.
  const groups = new Map<string, { dims: (string | number)[]; total: Cell; cells: Cell[] }>();
  const groupOf = (dims: (string | number)[]) => {
    const key = JSON.stringify(dims);
    let g = groups.get(key);
    if (!g) {
      g = { dims, total: emptyCell(), cells: Array.from({ length: count }, emptyCell) };
      groups.set(key, g);
    }
    return g;
  };
  // With no dimension there is one group, data or not (Sentry answers its zeros).
  if (dimensions.length === 0) groupOf([]);
  for (const r of sessionRows as SessionRow[]) {
    const g = groupOf(r.dims);
    for (const cell of [g.total, g.cells[r.bucket - first]!]) {
      cell.started += r.started;
      cell.errored += r.errored;
      cell.crashed += r.crashed;
      cell.abnormal += r.abnormal;
    }
  }
  for (const r of userRows) {
    const g = groupOf(r.dims);
    const cell = r.bucket === null ? g.total : g.cells[r.bucket - first]!;
    cell.users = r.users;
    cell.uErrored = r.errored;
    cell.uAbnormal = r.abnormal;
    cell.uCrashed = r.crashed;
  }

  const primary = q.fields.includes("sum(session)") ? "sum(session)" : q.fields[0]!;
  const built = [...groups.values()].map((g) => {
    const by: Record<string, string | number> = {};
    dimensions.forEach((d, i) => {
      by[d] = g.dims[i]!;
    });
    return { by, g };
  });
  // Largest first by the primary field, as Sentry orders, then by key for a stable answer.
  const order = (cell: Cell) => value(primary, cell, undefined) ?? -1;
  built.sort((a, b) => order(b.g.total) - order(a.g.total) || JSON.stringify(a.by).localeCompare(JSON.stringify(b.by)));
  const limit = Math.max(1, Math.floor(MAX_CELLS / count));

  const out: SessionsGroup[] = [];
  for (const { by, g } of built.slice(0, limit)) {
    for (const status of byStatus ? STATUSES : [undefined]) {
      const totals: Record<string, number | null> = {};
      const series: Record<string, (number | null)[]> = {};
      for (const field of q.fields) {
        totals[field] = value(field, g.total, status);
        series[field] = g.cells.map((cell) => value(field, cell, status));
      }
      out.push({ by: status ? { ...by, "session.status": status } : by, totals, series });
    }
  }
  return { start: iso(q.start.getTime()), end: iso(q.end.getTime()), intervals, groups: out, query: q.query };
}

/**
 * A field of a cell, for one status or all: healthy is what is neither errored, abnormal nor
 * crashed (never negative); a rate over no sessions or users is null.
 */
export function value(field: SessionField, c: Cell, status: Status | undefined): number | null {
  switch (field) {
    case "sum(session)":
      if (!status) return c.started;
      if (status === "healthy") return Math.max(c.started - c.errored - c.crashed - c.abnormal, 0);
      return status === "errored" ? c.errored : status === "crashed" ? c.crashed : c.abnormal;
    case "count_unique(user)":
      if (!status) return c.users;
      if (status === "healthy") return Math.max(c.users - c.uErrored - c.uAbnormal - c.uCrashed, 0);
      return status === "errored" ? c.uErrored : status === "crashed" ? c.uCrashed : c.uAbnormal;
    case "crash_free_rate(session)":
      return c.started > 0 ? 1 - Math.min(c.crashed / c.started, 1) : null;
    case "crash_rate(session)":
      return c.started > 0 ? Math.min(c.crashed / c.started, 1) : null;
    case "crash_free_rate(user)":
      return c.users > 0 ? 1 - c.uCrashed / c.users : null;
    case "crash_rate(user)":
      return c.users > 0 ? c.uCrashed / c.users : null;
  }
}
