import { asideSqlRows } from "../db";

/** An artifact file row (see prisma/schema.prisma: ArtifactFile), as symbolication reads it. */
export type ArtifactFileRow = {
  id: string;
  bundleId: number | null;
  url: string;
  type: string;
  debugId: string | null;
  release: string | null;
  dist: string;
  headers: unknown;
  blobKey: string;
  size: number;
};

export type ReleaseUrl = { release: string; dist: string; url: string };

/**
 * The artifact files of one project that carry any of these debug ids (minified sources and
 * maps) or are uploaded under any of these (release, dist, url): one statement for a whole
 * batch, newest first. Only bundles linked to the project count, and legacy release files of
 * the project itself: another project's (or org's) bundle with the same debug id is not used.
 * Runs on the pool beside the drain (asideSqlRows), never inside the batch transaction.
 */
export async function unsafeFindArtifactFiles(
  orgId: number,
  projectId: number,
  debugIds: string[],
  releaseUrls: ReleaseUrl[],
): Promise<ArtifactFileRow[]> {
  if (debugIds.length === 0 && releaseUrls.length === 0) return [];
  return asideSqlRows<ArtifactFileRow>`
    select f.id::text as id, f.bundle_id as "bundleId", f.url, f.type, f.debug_id::text as "debugId",
           f.release, f.dist, f.headers, f.blob_key as "blobKey", f.size
    from artifact_files f
    where f.org_id = ${orgId}
      and (f.bundle_id in (select bundle_id from artifact_bundle_projects where project_id = ${projectId})
           or (f.bundle_id is null and f.project_id = ${projectId}))
      and ((f.debug_id = any(${debugIds}::uuid[]) and f.type in ('minified_source', 'source_map'))
           or (f.release, f.dist, f.url) in (
                select * from unnest(${releaseUrls.map((r) => r.release)}::text[],
                                     ${releaseUrls.map((r) => r.dist)}::text[],
                                     ${releaseUrls.map((r) => r.url)}::text[])))
    order by f.id desc
    limit 1000`;
}

// When this process last moved a bundle's last_used_at: at most once a day per bundle, so a
// busy project costs one small update a day, not one per batch.
const touched = new Map<number, number>();
const DAY_MS = 24 * 3600_000;

/**
 * Marks bundles as used (retention removes bundles unused for 90 days). Skips those this
 * process marked within a day, and the update itself skips rows marked within a day by another.
 */
export async function unsafeTouchBundles(bundleIds: Iterable<number>, now = Date.now()): Promise<void> {
  const due = [...new Set(bundleIds)].filter((id) => now - (touched.get(id) ?? 0) >= DAY_MS);
  if (due.length === 0) return;
  for (const id of due) touched.set(id, now);
  if (touched.size > 100_000) touched.clear();
  await asideSqlRows`
    update artifact_bundles set last_used_at = now()
    where id = any(${due}::int[]) and last_used_at < now() - interval '1 day'`;
}
