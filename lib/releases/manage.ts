import { z } from "zod";
import { audit } from "../audit";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { AppError } from "../errors";
import { commitsSchema, refsSchema, setReleaseCommits } from "./commits";
import { type ReleaseDetail, getReleaseDetail } from "./detail";
import { dateSchema, projectIdsOf, projectRefsSchema, releaseIn, storableText, versionSchema } from "./lookup";

// Creating, updating (finalize, set-commits) and deleting releases, as sentry-cli does it
// through POST .../releases/ and PUT|DELETE .../releases/{version}/.

const urlField = storableText(2000).nullable().optional();
const refField = storableText(250).nullable().optional();

export const createReleaseSchema = z.object({
  version: versionSchema,
  projects: projectRefsSchema.min(1, "projects: name at least one project"),
  ref: refField,
  url: urlField,
  dateStarted: dateSchema.nullable().optional(),
  dateReleased: dateSchema.nullable().optional(),
});

/**
 * `releases new`: makes the release, or adds projects to an existing one (whose other fields
 * stay as they are, as Sentry does). `changed` is false when the release existed with all these
 * projects: Sentry answers that with 208. `inProject` (a project's endpoint, already checked to
 * be the viewer's org's) stands for the body's projects.
 */
export async function createRelease(
  viewer: Viewer,
  body: unknown,
  options: { inProject?: number } = {},
): Promise<{ release: ReleaseDetail; changed: boolean }> {
  assertCan(viewer.role, "releases:write");
  const input =
    options.inProject === undefined
      ? createReleaseSchema.parse(body)
      : { ...createReleaseSchema.omit({ projects: true }).parse(body), projects: [options.inProject] };
  const changed = await db().$transaction(async (tx) => {
    const projectIds = await projectIdsOf(tx, viewer.orgId, input.projects);
    const inserted = await tx.$queryRaw<{ id: number }[]>`
      insert into releases (org_id, version, ref, url, date_started, date_released)
      values (${viewer.orgId}, ${input.version}, ${input.ref ?? null}, ${input.url ?? null},
              ${input.dateStarted ?? null}::timestamptz, ${input.dateReleased ?? null}::timestamptz)
      on conflict (org_id, version) do nothing
      returning id`;
    const releaseId = inserted[0]?.id ?? (await releaseIn(tx, viewer.orgId, input.version)).id;
    const added = await tx.$executeRaw`
      insert into release_projects (release_id, project_id)
      select ${releaseId}::int, unnest(${projectIds}::int[])
      on conflict (release_id, project_id) do nothing`;
    return inserted.length > 0 || added > 0;
  });
  return { release: await getReleaseDetail(viewer, input.version), changed };
}

export const updateReleaseSchema = z.object({
  ref: refField,
  url: urlField,
  dateStarted: dateSchema.nullable().optional(),
  // `releases finalize` sets it; null takes it back
  dateReleased: dateSchema.nullable().optional(),
  projects: projectRefsSchema.optional(),
  commits: commitsSchema.optional(),
  refs: refsSchema.optional(),
});

/**
 * PUT .../releases/{version}/: the release's fields, more projects, and with `commits` (or
 * `refs`) its commit list, replaced whole. Fields not given stay as they are.
 */
export async function updateRelease(viewer: Viewer, version: string, body: unknown): Promise<ReleaseDetail> {
  assertCan(viewer.role, "releases:write");
  await db().$transaction(
    async (tx) => {
      // The release first: an unknown (or another org's) version is a 404 whatever the body.
      const release = await releaseIn(tx, viewer.orgId, version);
      const input = updateReleaseSchema.parse(body);
      const data: { ref?: string | null; url?: string | null; dateStarted?: Date | null; dateReleased?: Date | null } = {};
      if (input.ref !== undefined) data.ref = input.ref;
      if (input.url !== undefined) data.url = input.url;
      if (input.dateStarted !== undefined) data.dateStarted = input.dateStarted;
      if (input.dateReleased !== undefined) data.dateReleased = input.dateReleased;
      if (Object.keys(data).length > 0) {
        await tx.release.updateMany({ where: { id: release.id, orgId: viewer.orgId }, data });
      }
      if (input.projects && input.projects.length > 0) {
        const projectIds = await projectIdsOf(tx, viewer.orgId, input.projects);
        await tx.$executeRaw`
          insert into release_projects (release_id, project_id)
          select ${release.id}::int, unnest(${projectIds}::int[])
          on conflict (release_id, project_id) do nothing`;
      }
      if (input.commits !== undefined || input.refs !== undefined) {
        await setReleaseCommits(tx, viewer.orgId, release.id, input.commits, input.refs);
      }
    },
    { timeout: 60_000 },
  );
  return getReleaseDetail(viewer, version);
}

// Sentry's words (UnsafeReleaseDeletion), which sentry-cli prints.
export const RELEASE_REFERENCED = "This release is referenced by active issues and cannot be removed.";

/**
 * Deletes a release with its projects, deploys and commit list. Refused, as Sentry refuses it,
 * while an issue names it as its first release or as the release it was resolved in: deleting
 * it would silently turn "resolved in X" into a plain resolution.
 */
export async function deleteRelease(viewer: Viewer, version: string): Promise<void> {
  assertCan(viewer.role, "releases:write");
  await db().$transaction(async (tx) => {
    const release = await releaseIn(tx, viewer.orgId, version);
    // Locked first, so an issue resolved in it meanwhile waits for (and then fails on) the delete.
    await tx.$queryRaw`select id from releases where id = ${release.id} for update`;
    const [referenced] = await tx.$queryRaw<{ found: boolean }[]>`
      select exists (
        select 1 from issues i join projects p on p.id = i.project_id
        where p.org_id = ${viewer.orgId} and (i.resolved_in_release_id = ${release.id} or i.first_release = ${version})
      ) as found`;
    if (referenced?.found) throw new AppError("bad_request", RELEASE_REFERENCED);
    await tx.release.deleteMany({ where: { id: release.id, orgId: viewer.orgId } });
    await audit(viewer, { action: "release.delete", targetType: "release", targetId: release.id, data: { version } }, tx);
  });
}
