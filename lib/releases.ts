import { assertCan } from "./auth/permissions";
import type { Viewer } from "./auth/viewer";
import { db } from "./db";

export type ReleaseSummary = {
  version: string;
  firstSeen: Date;
  lastSeen: Date;
  newIssues: number;
  projects: string[];
};

/** The viewer's org's releases, most recently seen first, with first/last seen and new issues over its projects. */
export async function listReleases(viewer: Viewer, options: { limit?: number } = {}): Promise<ReleaseSummary[]> {
  assertCan(viewer.role, "projects:read");
  const rows = await db().$queryRaw<{ version: string; first_seen: Date; last_seen: Date; new_issues: bigint; projects: string[] }[]>`
    select r.version, min(rp.first_seen) as first_seen, max(rp.last_seen) as last_seen,
           sum(rp.new_issues) as new_issues, array_agg(p.slug order by p.slug) as projects
    from releases r
    join release_projects rp on rp.release_id = r.id
    join projects p on p.id = rp.project_id and p.org_id = r.org_id
    where r.org_id = ${viewer.orgId}
    group by r.id, r.version
    order by max(rp.last_seen) desc
    limit ${Math.min(options.limit ?? 100, 500)}`;
  return rows.map((r) => ({
    version: r.version,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    newIssues: Number(r.new_issues),
    projects: r.projects,
  }));
}
