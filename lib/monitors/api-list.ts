import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { dbRead } from "../db";
import { AppError } from "../errors";
import { type PageLinks, offsetOf, offsetPage, parseCursor } from "../pagination";
import { type ProjectRef, projectOfViewer } from "./api-lookup";
import { type MonitorView, environmentName, monitorViewSelect, toMonitorView } from "./api-read";

const DEFAULT_MONITOR_LIMIT = 25;
export const MAX_MONITOR_LIMIT = 100;

export type MonitorListOptions = {
  /** only these projects of the viewer's org (ids or slugs; a foreign one is not found) */
  projects?: ProjectRef[];
  /** a part of the name or slug, case-insensitive */
  query?: string;
  cursor?: string;
  limit?: number;
};

/**
 * One page of the viewer's org's monitors by name (as people look for them; Sentry sorts by
 * name too when asked), with Sentry's cursor links. Offset paging: an org's monitors are
 * hundreds, not millions, and a name order has no integer key to keyset on.
 */
export async function listMonitors(
  viewer: Viewer,
  options: MonitorListOptions = {},
): Promise<{ monitors: MonitorView[]; links: PageLinks }> {
  assertCan(viewer.role, "monitors:read");
  const limit = Math.min(Math.max(options.limit ?? DEFAULT_MONITOR_LIMIT, 1), MAX_MONITOR_LIMIT);
  const offset = offsetOf(parseCursor(options.cursor));
  const query = options.query?.trim();
  if (query?.includes("\0")) throw new AppError("bad_request", "query may not contain NUL characters");
  const read = await dbRead(viewer);
  const projectIds =
    options.projects && options.projects.length > 0
      ? await Promise.all(options.projects.map(async (ref) => (await projectOfViewer(read, viewer, ref)).id))
      : undefined;
  const rows = await read.monitor.findMany({
    where: {
      orgId: viewer.orgId,
      ...(projectIds ? { projectId: { in: projectIds } } : {}),
      ...(query
        ? { OR: [{ name: { contains: query, mode: "insensitive" } }, { slug: { contains: query, mode: "insensitive" } }] }
        : {}),
    },
    select: monitorViewSelect,
    orderBy: [{ name: "asc" }, { id: "asc" }],
    skip: offset,
    take: limit + 1,
  });
  const { items, links } = offsetPage(rows, limit, offset);
  return { monitors: items.map(toMonitorView), links };
}

export type CheckInTick = { monitorId: number; status: string; dateCreated: Date; environment: string; durationMs: number | null };

/**
 * The latest check-ins of each of these monitors (at most `perMonitor`, none older than
 * `since`), newest first: the ticks of the Crons page's timelines. One statement, each
 * monitor's read from its (monitor_id, created_at) index; monitors of another org give none.
 */
export async function recentCheckIns(
  viewer: Viewer,
  monitorIds: number[],
  options: { since: Date; perMonitor: number },
): Promise<CheckInTick[]> {
  assertCan(viewer.role, "monitors:read");
  if (monitorIds.length === 0) return [];
  const rows = await (await dbRead(viewer)).$queryRaw<
    { monitor_id: number; status: string; created_at: Date; environment: string | null; duration_ms: number | null }[]
  >`
    select m.id as monitor_id, c.status, c.created_at, coalesce(me.environment, c.environment) as environment, c.duration_ms
    from monitors m
    cross join lateral (
      select c.status, c.created_at, c.environment, c.duration_ms, c.monitor_environment_id from check_ins c
      where c.monitor_id = m.id and c.created_at >= ${options.since}
      order by c.created_at desc limit ${options.perMonitor}) c
    left join monitor_environments me on me.id = c.monitor_environment_id
    where m.id = any(${monitorIds}::int[]) and m.org_id = ${viewer.orgId}
    order by m.id, c.created_at desc`;
  return rows.map((r) => ({
    monitorId: r.monitor_id,
    status: r.status,
    dateCreated: r.created_at,
    environment: environmentName(r.environment),
    durationMs: r.duration_ms,
  }));
}
