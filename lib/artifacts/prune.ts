import { blobStore } from "../blobs";
import { db } from "../db";
import { bundlePrefix, chunkKey } from "./blob-keys";

// Retention of source-map uploads: bundles no event has used in 90 days, chunks and assembly
// records older than a day (a bundle is assembled within minutes of its chunks, or never).

export const BUNDLE_UNUSED_DAYS = 90;
const DAY_MS = 24 * 60 * 60_000;
const BATCH = 200;
// Bounds one run; what is left waits for the next run.
const MAX_BATCHES = 50;

/**
 * Deletes in batches. Rows are claimed with `for update skip locked` and deleted in the same
 * statement, so two workers running this at once take different rows, and the blobs go only
 * after their rows (a reader never finds a row whose bytes are gone on purpose).
 */
export async function unsafePruneArtifacts(now = new Date()): Promise<{ bundles: number; chunks: number; assemblies: number }> {
  const bundleCutoff = new Date(now.getTime() - BUNDLE_UNUSED_DAYS * DAY_MS);
  const dayCutoff = new Date(now.getTime() - DAY_MS);
  let bundles = 0;
  let chunks = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const gone = await db().$queryRaw<{ id: number; org_id: number }[]>`
      delete from artifact_bundles where id in (
        select id from artifact_bundles where last_used_at < ${bundleCutoff} order by last_used_at limit ${BATCH} for update skip locked)
      returning id, org_id`;
    await Promise.all(gone.map((bundle) => blobStore().deletePrefix(bundlePrefix(bundle.org_id, bundle.id))));
    bundles += gone.length;
    if (gone.length < BATCH) break;
  }
  for (let i = 0; i < MAX_BATCHES; i++) {
    const gone = await db().$queryRaw<{ org_id: number; checksum: string }[]>`
      delete from file_chunks where (org_id, checksum) in (
        select org_id, checksum from file_chunks where created_at < ${dayCutoff} order by created_at limit ${BATCH} for update skip locked)
      returning org_id, checksum`;
    await blobStore().delete(gone.map((chunk) => chunkKey(chunk.org_id, chunk.checksum)));
    chunks += gone.length;
    if (gone.length < BATCH) break;
  }
  const assemblies = await db().$executeRaw`delete from bundle_assemblies where updated_at < ${dayCutoff}`;
  return { bundles, chunks, assemblies };
}
