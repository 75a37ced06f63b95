import { createHash, randomUUID } from "node:crypto";
import { blobStore } from "../blobs";
import { db } from "../db";
import { Prisma } from "../generated/prisma/client.ts";
import { logger } from "../logger";
import type { AssembleJobData } from "./assemble-queue";
import { bundleFileKey, bundlePrefix, chunkKey } from "./blob-keys";
import { BundleError, type Manifest, readBundle } from "./bundle-zip";
import { unsafeEnsureRelease } from "./ensure-release";
import { canonicalDebugId } from "./file-kind";
import { MAX_BUNDLE_SIZE } from "./limits";

const log = logger.child({ job: "assemble-artifact-bundle" });

type FileRow = Omit<Prisma.ArtifactFileCreateManyInput, "bundleId" | "orgId">;

/**
 * Assembles one bundle: the chunks in order, checked against the checksum, unpacked into one
 * blob per file, then every row (bundle, its projects, its files, the release) in one
 * transaction, so a bundle is visible whole or not at all. A bad bundle ends the assembly in
 * `error` with a detail sentry-cli prints, and the blobs written so far are removed. Other
 * failures (database, blob store) are thrown for the job to retry; the last one records an
 * error too, so the CLI never polls forever.
 */
export async function unsafeAssembleBundle(data: AssembleJobData, lastAttempt: boolean): Promise<"ok" | "error" | "skipped"> {
  const { orgId, checksum } = data;
  // Created (first run) or assembling (a retry, or a worker that died mid-way): ours to do.
  const claimed = await db().bundleAssembly.updateMany({
    where: { orgId, checksum, state: { in: ["created", "assembling"] } },
    data: { state: "assembling" },
  });
  if (claimed.count === 0) return "skipped";

  const [next] = await db().$queryRaw<{ id: number }[]>`select nextval(pg_get_serial_sequence('artifact_bundles', 'id'))::int as id`;
  const bundleRowId = next!.id;
  try {
    const bundle = await concatenateChunks(data);
    const files: FileRow[] = [];
    const manifest = await readBundle(bundle, async (file, entry) => {
      const n = files.length;
      const type = typeof entry.type === "string" && entry.type.length <= 32 ? entry.type : null;
      const url = typeof entry.url === "string" && entry.url.length <= 2048 ? entry.url : null;
      if (!type || !url) throw new BundleError(`bundle manifest entry ${file.path} needs a "type" and a "url"`);
      const headers = lowercaseHeaders(entry.headers);
      await blobStore().put(bundleFileKey(orgId, bundleRowId, n), file.data);
      files.push({
        release: null,
        dist: "",
        url,
        type,
        debugId: canonicalDebugId(headers["debug-id"] ?? headers.debug_id),
        headers,
        blobKey: bundleFileKey(orgId, bundleRowId, n),
        size: file.data.length,
        sha1: createHash("sha1").update(file.data).digest("hex"),
      });
    });
    await storeBundle(data, bundleRowId, bundle.length, manifest, files);
    log.info({ orgId, checksum, files: files.length, bytes: bundle.length }, "artifact bundle assembled");
    return "ok";
  } catch (error) {
    await blobStore().deletePrefix(bundlePrefix(orgId, bundleRowId)).catch(() => {});
    if (!(error instanceof BundleError) && !lastAttempt) throw error;
    const detail = error instanceof BundleError ? error.message : "assembling the bundle failed on the server; upload it again";
    if (!(error instanceof BundleError)) log.error({ err: error, orgId, checksum }, "artifact bundle assembly failed");
    await db().bundleAssembly.updateMany({ where: { orgId, checksum, state: "assembling" }, data: { state: "error", detail } });
    return "error";
  }
}

async function concatenateChunks({ orgId, checksum, chunks }: AssembleJobData): Promise<Buffer> {
  const rows = await db().fileChunk.findMany({ where: { orgId, checksum: { in: chunks } }, select: { checksum: true, size: true } });
  const sizes = new Map(rows.map((row) => [row.checksum, row.size]));
  let total = 0;
  for (const chunk of chunks) {
    const size = sizes.get(chunk);
    if (size === undefined) throw new BundleError(`chunk ${chunk} is missing (it may have expired): upload the bundle again`);
    total += size;
  }
  if (total > MAX_BUNDLE_SIZE) throw new BundleError(`bundle is ${total} bytes; at most ${MAX_BUNDLE_SIZE} are allowed`);
  const parts: Buffer[] = [];
  for (const chunk of chunks) {
    const part = await blobStore().get(chunkKey(orgId, chunk));
    if (!part) {
      // Its row outlived its bytes (retention racing a re-upload, a lost blob): drop the row so
      // the next upload is told to send the chunk again instead of failing the same way.
      await db().fileChunk.deleteMany({ where: { orgId, checksum: chunk } });
      throw new BundleError(`chunk ${chunk} is missing (it may have expired): upload the bundle again`);
    }
    parts.push(part);
  }
  const bundle = Buffer.concat(parts);
  const actual = createHash("sha1").update(bundle).digest("hex");
  if (actual !== checksum) throw new BundleError(`checksum mismatch: the chunks make ${actual}, not ${checksum}`);
  return bundle;
}

function lowercaseHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers !== "object" || headers === null) return out;
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value === "string" && key.length <= 64) out[key.toLowerCase()] = value.slice(0, 2048);
  }
  return out;
}

const optionalText = (value: unknown, max: number) => (typeof value === "string" && value !== "" && value.length <= max ? value : null);

async function storeBundle(data: AssembleJobData, bundleRowId: number, size: number, manifest: Manifest, files: FileRow[]) {
  const { orgId, checksum } = data;
  // The request's release and dist win; a bundle built with them in its manifest keeps those.
  const release = data.version ?? optionalText(manifest.release, 200);
  const dist = release ? (data.dist ?? optionalText(manifest.dist, 64)) : null;
  const bundleId = canonicalDebugId(manifest.debug_id) ?? randomUUID();
  try {
    await db().$transaction(async (tx) => {
      await tx.artifactBundle.create({
        data: { id: bundleRowId, orgId, bundleId, checksum, size, fileCount: files.length, release, dist },
      });
      // Projects deleted since the request are skipped rather than failing the bundle.
      await tx.$executeRaw`
        insert into artifact_bundle_projects (bundle_id, project_id)
        select ${bundleRowId}, p.id from projects p where p.id = any(${data.projectIds}::int[]) and p.org_id = ${orgId}`;
      await tx.artifactFile.createMany({ data: files.map((file) => ({ ...file, orgId, bundleId: bundleRowId, release, dist: dist ?? "" })) });
      if (release) await unsafeEnsureRelease(tx, orgId, release, data.projectIds);
      await tx.bundleAssembly.updateMany({ where: { orgId, checksum }, data: { state: "ok", detail: null, bundleId: bundleRowId } });
    });
  } catch (error) {
    // The same bundle was assembled by another job meanwhile (a re-queued one): theirs stands.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      await blobStore().deletePrefix(bundlePrefix(orgId, bundleRowId));
      await db().bundleAssembly.updateMany({ where: { orgId, checksum }, data: { state: "ok", detail: null } });
      return;
    }
    throw error;
  }
}
