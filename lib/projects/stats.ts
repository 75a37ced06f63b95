import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { dbRead } from "../db";

const HOUR = 3_600_000;

/**
 * Error events per hour over the last 24 hours for each of these projects of the viewer's org, as
 * [unix seconds, count] buckets: from the issues' hourly counters, never the events.
 */
export async function projectHourlyCounts(
  viewer: Viewer,
  projectIds: number[],
  now = new Date(),
): Promise<Map<number, [number, number][]>> {
  assertCan(viewer.role, "projects:read");
  const last = Math.floor(now.getTime() / HOUR) * HOUR;
  const first = last - 23 * HOUR;
  const rows = await (await dbRead(viewer)).$queryRaw<{ project_id: number; hour: Date; count: bigint }[]>`
    select i.project_id, h.hour, sum(h.count) as count
    from issue_hourly_counts h
    join issues i on i.id = h.issue_id
    join projects p on p.id = i.project_id
    where p.org_id = ${viewer.orgId} and i.project_id = any(${projectIds}::int[]) and h.hour >= ${new Date(first)}
    group by i.project_id, h.hour`;
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(`${row.project_id}:${row.hour.getTime()}`, Number(row.count));
  return new Map(
    projectIds.map((id) => [
      id,
      Array.from({ length: 24 }, (_, i): [number, number] => {
        const at = first + i * HOUR;
        return [at / 1000, counts.get(`${id}:${at}`) ?? 0];
      }),
    ]),
  );
}
