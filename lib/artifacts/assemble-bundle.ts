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
import { versionSchema } from "../releases/lookup";

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
      if (!type || !url) throw new BundleError(`bundle manifest entry ${JSON.stringify(file.path)} needs a "type" and a "url"`);
      // PostgreSQL stores no NUL in text or JSON: said here, not found by a failing insert
      if (type.includes("\0") || url.includes("\0")) throw new BundleError(`bundle manifest entry ${JSON.stringify(file.path)} has a NUL in its type or url`);
      const headers = lowercaseHeaders(file.path, entry.headers);
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
    const detail = error instanceof BundleError ? storableDetail(error.message) : "assembling the bundle failed on the server; upload it again";
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

// sentry-cli writes two or three (debug-id, sourcemap); each file's headers become a JSON column.
const MAX_HEADERS = 32;

function lowercaseHeaders(path: string, headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers !== "object" || headers === null) return out;
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) {
    throw new BundleError(`bundle manifest entry ${JSON.stringify(path)} has ${entries.length} headers; at most ${MAX_HEADERS} are allowed`);
  }
  for (const [key, value] of entries) {
    if (typeof value !== "string" || key.length > 64) continue;
    if (key.includes("\0") || value.includes("\0")) throw new BundleError(`bundle manifest entry ${JSON.stringify(path)} has a NUL in a header`);
    // an own "__proto__" key is set as data, not as the object's prototype
    Object.defineProperty(out, key.toLowerCase(), { value: value.slice(0, 2048), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * The manifest's release, used when the request named none (a bundle built with one): the same
 * rule as a release made through the API, or the bundle is refused with the reason.
 */
function manifestRelease(manifest: Manifest): string | null {
  if (typeof manifest.release !== "string" || manifest.release === "") return null;
  const parsed = versionSchema.safeParse(manifest.release);
  if (!parsed.success) {
    throw new BundleError(`bundle manifest release ${JSON.stringify(manifest.release.slice(0, 210))} is invalid: ${parsed.error.issues[0]!.message}`);
  }
  return parsed.data;
}

/** The manifest's dist, used when the request named none: events' rule (64 characters), and no NUL. */
function manifestDist(manifest: Manifest): string | null {
  if (typeof manifest.dist !== "string" || manifest.dist === "") return null;
  if (manifest.dist.length > 64 || manifest.dist.includes("\0")) throw new BundleError("bundle manifest dist is invalid: at most 64 characters, no NUL");
  return manifest.dist;
}

/** A failure's detail as stored and printed: the text of a hostile archive (file names) may hold NUL. */
const storableDetail = (detail: string) => detail.replaceAll("\0", "\\0").slice(0, 2000);

async function storeBundle(data: AssembleJobData, bundleRowId: number, size: number, manifest: Manifest, files: FileRow[]) {
  const { orgId, checksum } = data;
  // The request's release and dist win; a bundle built with them in its manifest keeps those.
  const release = data.version ?? manifestRelease(manifest);
  const dist = release ? (data.dist ?? manifestDist(manifest)) : null;
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
