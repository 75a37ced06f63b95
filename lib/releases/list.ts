import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { type Db, db, dbRead } from "../db";
import { AppError } from "../errors";
import { Prisma } from "../generated/prisma/client.ts";
import { type PageLinks, keysetPage, parseCursor } from "../pagination";
import { type HealthQuery, type ProjectReleaseHealth, healthKey, releaseProjectsHealth } from "../sessions/health";

// The org's releases as lists show them: one summary per release, built in one statement from
// counters the worker keeps (release_projects) and the release's deploys and commits, never
// from the events.

export type ReleaseProjectRef = {
  id: number;
  slug: string;
  name: string;
  platform: string;
  newIssues: number;
  /** only with `?health=1` (withReleaseHealth): null when the project is gone meanwhile */
  health?: ProjectReleaseHealth | null;
};
export type DeployRef = { environment: string; dateFinished: Date };
export type CommitRef = {
  /** the sha */
  id: string;
  message: string | null;
  authorName: string | null;
  authorEmail: string | null;
  timestamp: Date | null;
  repository: string;
};

export type ReleaseSummary = {
  id: number;
  version: string;
  dateCreated: Date;
  /** set by `releases finalize` */
  dateReleased: Date | null;
  /** the projects of the release, by slug */
  projects: ReleaseProjectRef[];
  /** issues first seen in this release, over its projects */
  newIssues: number;
  /** error events stored with this release, over its projects */
  eventCount: number;
  firstEvent: Date | null;
  lastEvent: Date | null;
  /** the most recently finished deploy */
  lastDeploy: DeployRef | null;
  deployCount: number;
  commitCount: number;
  /** the head commit (order 0 of `set-commits`) */
  lastCommit: CommitRef | null;
  /** distinct commit authors, at most AUTHORS_SHOWN */
  authors: { name: string | null; email: string }[];
};

export const DEFAULT_RELEASE_LIMIT = 25;
export const MAX_RELEASE_LIMIT = 100;
const AUTHORS_SHOWN = 20;

export type ReleaseListOptions = {
  /** a version prefix, case-insensitive */
  query?: string;
  /** only releases of this project, which must be the viewer's org's (else not found) */
  projectId?: number;
  cursor?: string;
  limit?: number;
  /** `?health=1`: each project of each release gets Sentry's healthData */
  health?: HealthQuery;
};

type SummaryRow = {
  id: number;
  version: string;
  created_at: Date;
  date_released: Date | null;
  projects: ReleaseProjectRef[] | null;
  new_issues: number;
  event_count: number;
  first_event: Date | null;
  last_event: Date | null;
  last_deploy_environment: string | null;
  last_deploy_finished: Date | null;
  deploy_count: number;
  commit_count: number;
  last_commit: (Omit<CommitRef, "timestamp"> & { timestamp: string | null }) | null;
  authors: { name: string | null; email: string }[] | null;
};

/**
 * Summaries of the releases selected by `where` (a condition on `r`, always within the org),
 * in `order`. Shared by the list and the detail so both say the same about a release.
 */
export async function unsafeReleaseSummaries(
  orgId: number,
  where: Prisma.Sql,
  order: Prisma.Sql,
  limit: number,
  read: Db = db(),
) {
  const rows = await read.$queryRaw<SummaryRow[]>`
    with picked as (
      select r.id, r.version, r.created_at, r.date_released from releases r
      where r.org_id = ${orgId} and ${where}
      order by ${order}
      limit ${limit})
    select r.id, r.version, r.created_at, r.date_released,
      rp.projects, coalesce(rp.new_issues, 0)::int as new_issues, coalesce(rp.event_count, 0)::int as event_count,
      rp.first_event, rp.last_event,
      ld.environment as last_deploy_environment, ld.date_finished as last_deploy_finished,
      (select count(*)::int from deploys d where d.release_id = r.id) as deploy_count,
      (select count(*)::int from release_commits rc where rc.release_id = r.id) as commit_count,
      (select json_build_object('id', c.key, 'message', c.message, 'authorName', c.author_name,
                                'authorEmail', c.author_email, 'timestamp', c.timestamp, 'repository', repo.name)
       from release_commits rc join commits c on c.id = rc.commit_id join repositories repo on repo.id = c.repository_id
       where rc.release_id = r.id order by rc."order" limit 1) as last_commit,
      (select json_agg(a) from (
         select max(c.author_name) as name, c.author_email as email
         from release_commits rc join commits c on c.id = rc.commit_id
         where rc.release_id = r.id and c.author_email is not null
         group by c.author_email order by min(rc."order") limit ${AUTHORS_SHOWN}) a) as authors
    from picked r
    left join lateral (
      select json_agg(json_build_object('id', p.id, 'slug', p.slug, 'name', p.name, 'platform', p.platform,
                                        'newIssues', x.new_issues) order by p.slug) as projects,
             sum(x.new_issues) as new_issues, sum(x.event_count) as event_count,
             min(x.first_seen) as first_event, max(x.last_seen) as last_event
      from release_projects x join projects p on p.id = x.project_id and p.org_id = ${orgId}
      where x.release_id = r.id) rp on true
    left join lateral (
      select d.environment, d.date_finished from deploys d where d.release_id = r.id
      order by d.date_finished desc, d.id desc limit 1) ld on true
    order by ${order}`;
  return rows.map(toSummary);
}

function toSummary(row: SummaryRow): ReleaseSummary {
  return {
    id: row.id,
    version: row.version,
    dateCreated: row.created_at,
    dateReleased: row.date_released,
    projects: row.projects ?? [],
    newIssues: row.new_issues,
    eventCount: row.event_count,
    firstEvent: row.first_event,
    lastEvent: row.last_event,
    lastDeploy:
      row.last_deploy_environment !== null && row.last_deploy_finished
        ? { environment: row.last_deploy_environment, dateFinished: row.last_deploy_finished }
        : null,
    deployCount: row.deploy_count,
    commitCount: row.commit_count,
    lastCommit: row.last_commit
      ? { ...row.last_commit, timestamp: row.last_commit.timestamp ? new Date(row.last_commit.timestamp) : null }
      : null,
    authors: row.authors ?? [],
  };
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * One page of the viewer's org's releases, newest first (by creation, as Sentry's default
 * sort), filtered by version prefix and project, with Sentry's cursor links.
 */
export async function listReleases(
  viewer: Viewer,
  options: ReleaseListOptions = {},
): Promise<{ releases: ReleaseSummary[]; links: PageLinks }> {
  assertCan(viewer.role, "releases:read");
  const limit = Math.min(Math.max(options.limit ?? DEFAULT_RELEASE_LIMIT, 1), MAX_RELEASE_LIMIT);
  const cursor = parseCursor(options.cursor);
  const read = await dbRead(viewer);
  const conditions: Prisma.Sql[] = [];
  if (options.query?.includes("\0")) throw new AppError("bad_request", "query may not contain NUL characters");
  if (options.query) conditions.push(Prisma.sql`lower(r.version) like ${`${escapeLike(options.query.toLowerCase())}%`}`);
  if (options.projectId !== undefined) {
    const project = await read.project.findFirst({ where: { id: options.projectId, orgId: viewer.orgId }, select: { id: true } });
    if (!project) throw new AppError("not_found", "no such project");
    conditions.push(
      Prisma.sql`exists (select 1 from release_projects x join projects p on p.id = x.project_id
                         where x.release_id = r.id and x.project_id = ${options.projectId} and p.org_id = ${viewer.orgId})`,
    );
  }
  // Keyset on (created_at, id): the value is the creation time in milliseconds.
  if (cursor) {
    const at = new Date(Number(cursor.value));
    const id = Number(cursor.key);
    // a forged cursor: no release was created at that time or has that id
    const year = at.getUTCFullYear();
    if (Number.isNaN(at.getTime()) || year < 1 || year > 9999 || id > 2_147_483_647) throw new AppError("bad_request", "Invalid cursor");
    conditions.push(
      cursor.prev
        ? Prisma.sql`(r.created_at, r.id) > (${at}::timestamptz, ${id}::int)`
        : Prisma.sql`(r.created_at, r.id) < (${at}::timestamptz, ${id}::int)`,
    );
  }
  const where = conditions.length > 0 ? Prisma.join(conditions, " and ") : Prisma.sql`true`;
  const order = cursor?.prev ? Prisma.sql`r.created_at asc, r.id asc` : Prisma.sql`r.created_at desc, r.id desc`;
  const rows = await unsafeReleaseSummaries(viewer.orgId, where, order, limit + 1, read);
  const { items, links } = keysetPage(rows, limit, cursor, (r) => ({
    value: BigInt(r.dateCreated.getTime()),
    key: BigInt(r.id),
  }));
  return { releases: options.health ? await withReleaseHealth(viewer, items, options.health) : items, links };
}

/**
 * The releases with each of their projects' health (Sentry's `?health=1`), read for the whole
 * page at once. `onlyProject`: the release seen through one project lists that project only,
 * as Sentry does for a release with health asked through a project.
 */
export async function withReleaseHealth<R extends ReleaseSummary>(
  viewer: Viewer,
  releases: R[],
  query: HealthQuery,
  onlyProject?: number,
): Promise<R[]> {
  const scoped = releases.map((r) =>
    onlyProject === undefined ? r : { ...r, projects: r.projects.filter((p) => p.id === onlyProject) },
  );
  const pairs = scoped.flatMap((r) => r.projects.map((p) => ({ projectId: p.id, version: r.version })));
  const health = await releaseProjectsHealth(viewer, pairs, query);
  return scoped.map((r) => ({
    ...r,
    projects: r.projects.map((p) => ({ ...p, health: health.get(healthKey(p.id, r.version)) ?? null })),
  }));
}
