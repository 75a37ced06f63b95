import { audit } from "../audit";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { blobStore } from "../blobs";
import { db } from "../db";
import { AppError } from "../errors";
import { bundlePrefix } from "./blob-keys";

// The artifact bundles of a project (what `sentry-cli sourcemaps upload` assembled), for the
// project settings page and Sentry's bundle list. A bundle belongs to an org and is linked to
// one or more projects; every function finds it within the viewer's org AND the given project,
// so a bundle of another org or another project is "not found".

export type ArtifactBundleView = {
  id: number;
  bundleId: string;
  release: string | null;
  dist: string | null;
  fileCount: number;
  size: number;
  createdAt: Date;
  lastUsedAt: Date;
  debugIds: string[];
};

const MAX_LIST = 500;

/** The project's bundles, newest first (at most `limit`, 100 by default, 500 at most). */
export async function listArtifactBundles(
  viewer: Viewer,
  projectId: number,
  options: { limit?: number } = {},
): Promise<ArtifactBundleView[]> {
  assertCan(viewer.role, "releases:read");
  await projectInOrg(viewer, projectId);
  const limit = Math.min(Math.max(options.limit ?? 100, 1), MAX_LIST);
  // The debug ids are aggregated in SQL: a bundle may hold thousands of files, and the list
  // shows only their distinct ids.
  const rows = await db().$queryRaw<
    {
      id: number;
      bundle_id: string;
      release: string | null;
      dist: string | null;
      file_count: number;
      size: number;
      created_at: Date;
      last_used_at: Date;
      debug_ids: string[] | null;
    }[]
  >`
    select b.id, b.bundle_id::text as bundle_id, b.release, b.dist, b.file_count, b.size, b.created_at, b.last_used_at,
           (select array_agg(distinct f.debug_id::text) from artifact_files f
             where f.bundle_id = b.id and f.debug_id is not null) as debug_ids
    from artifact_bundles b
    join artifact_bundle_projects bp on bp.bundle_id = b.id and bp.project_id = ${projectId}
    where b.org_id = ${viewer.orgId}
    order by b.created_at desc, b.id desc
    limit ${limit}`;
  return rows.map((row) => ({
    id: row.id,
    bundleId: row.bundle_id,
    release: row.release,
    dist: row.dist,
    fileCount: row.file_count,
    size: row.size,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    debugIds: row.debug_ids ?? [],
  }));
}

/**
 * Removes a bundle from the project. A bundle uploaded for several projects stays for the
 * others; once no project has it, its rows and files go, and its assembly record with them (so
 * uploading the same bundle again assembles it anew instead of answering "ok" for nothing).
 */
export async function deleteArtifactBundle(viewer: Viewer, projectId: number, id: number): Promise<void> {
  assertCan(viewer.role, "releases:write");
  await projectInOrg(viewer, projectId);
  const removed = await db().$transaction(async (tx) => {
    const bundle = await tx.artifactBundle.findFirst({
      where: { id, orgId: viewer.orgId, projects: { some: { projectId } } },
      select: { id: true, checksum: true, bundleId: true, release: true },
    });
    if (!bundle) throw new AppError("not_found", "no such artifact bundle");
    await tx.artifactBundleProject.delete({ where: { bundleId_projectId: { bundleId: bundle.id, projectId } } });
    await audit(
      viewer,
      {
        action: "artifact_bundle.deleted",
        targetType: "artifact_bundle",
        targetId: bundle.id,
        data: { bundleId: bundle.bundleId, release: bundle.release, projectId },
      },
      tx,
    );
    const others = await tx.artifactBundleProject.count({ where: { bundleId: bundle.id } });
    if (others > 0) return false;
    await tx.artifactBundle.delete({ where: { id: bundle.id } });
    await tx.bundleAssembly.deleteMany({ where: { orgId: viewer.orgId, checksum: bundle.checksum } });
    return true;
  });
  // After the commit: no row points at the files any more, so nothing can serve half of them.
  if (removed) await blobStore().deletePrefix(bundlePrefix(viewer.orgId, id));
}

/** Sentry's delete by the bundle's uuid (`?bundleId=`): the project's bundles with that id. */
export async function deleteArtifactBundleByBundleId(viewer: Viewer, projectId: number, bundleId: string): Promise<void> {
  assertCan(viewer.role, "releases:write");
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(bundleId)) throw new AppError("not_found", "no such artifact bundle");
  const rows = await db().artifactBundle.findMany({
    where: { orgId: viewer.orgId, bundleId: bundleId.toLowerCase(), projects: { some: { projectId } } },
    select: { id: true },
  });
  if (rows.length === 0) throw new AppError("not_found", "no such artifact bundle");
  for (const row of rows) await deleteArtifactBundle(viewer, projectId, row.id);
}

/** Sentry's artifact bundle JSON (`files/artifact-bundles/`). */
export function serializeArtifactBundle(bundle: ArtifactBundleView) {
  return {
    bundleId: bundle.bundleId,
    associations: bundle.release ? [{ release: bundle.release, dist: bundle.dist }] : [],
    fileCount: bundle.fileCount,
    date: bundle.createdAt.toISOString(),
    dateModified: bundle.createdAt.toISOString(),
    dateLastModified: bundle.createdAt.toISOString(),
  };
}

/** The project, within the viewer's org; not found otherwise. */
export async function projectInOrg(viewer: Viewer, projectId: number): Promise<{ id: number; slug: string }> {
  const project = await db().project.findFirst({ where: { id: projectId, orgId: viewer.orgId }, select: { id: true, slug: true } });
  if (!project) throw new AppError("not_found", "no such project");
  return project;
}
