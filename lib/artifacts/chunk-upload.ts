import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { blobStore } from "../blobs";
import { db } from "../db";
import { env } from "../env";
import { AppError } from "../errors";
import { orgForViewer } from "../orgs";
import { chunkKey } from "./blob-keys";
import { CHUNK_SIZE, CHUNKS_PER_REQUEST, MAX_BUNDLE_SIZE, MAX_REQUEST_BODY, MAX_REQUEST_SIZE, MAX_WAIT_SECONDS } from "./limits";
import { boundedBody } from "../api/body";
import { multipartForm } from "./request-body";

// `organizations/{org}/chunk-upload/`: what sentry-cli asks before it uploads (GET) and where
// it sends the chunks of a bundle (POST). Chunks are kept per org under their sha1, so the same
// bytes uploaded twice are stored once, and a chunk of one org is never visible to another.

/**
 * What sentry-cli reads (ChunkServerOptions in getsentry/sentry-cli 3.x and 2.58): `accept` is
 * read by 2.x only, which uploads artifact bundles when it finds "artifact_bundles" and asks
 * assemble for missing chunks first with "artifact_bundles_v2"; "release_files" makes it take
 * the chunked path at all. "debug_files", "sources" and the like advertise native debug-file
 * uploads, which this server does not assemble, so they are left out.
 */
export async function chunkUploadOptions(viewer: Viewer, orgSlug: string, request: Request) {
  const org = await orgForViewer(viewer, orgSlug);
  assertCan(viewer.role, "releases:read");
  return {
    url: `${publicOrigin(request)}/api/0/organizations/${encodeURIComponent(org.slug)}/chunk-upload/`,
    chunkSize: CHUNK_SIZE,
    chunksPerRequest: CHUNKS_PER_REQUEST,
    maxRequestSize: MAX_REQUEST_SIZE,
    maxFileSize: MAX_BUNDLE_SIZE,
    maxWait: MAX_WAIT_SECONDS,
    hashAlgorithm: "sha1",
    concurrency: 8,
    compression: ["gzip"],
    accept: ["release_files", "artifact_bundles", "artifact_bundles_v2"],
  };
}

/**
 * The origin this client reached us at (its SENTRY_URL), not APP_URL: CI often reaches the
 * server under another name than the public one (an internal host, a port-forward), and the
 * upload must go where the CLI's other requests already go. The Host header is the client's
 * own, and the answer goes back to that same client, so it can send its chunks nowhere it
 * could not already. Behind a trusted proxy (TRUST_PROXY) the proxy's X-Forwarded-Host and
 * X-Forwarded-Proto count.
 */
function publicOrigin(request: Request): string {
  const url = new URL(request.url);
  const trustProxy = env().TRUST_PROXY === "true";
  const forwarded = (name: string) => (trustProxy ? request.headers.get(name)?.split(",")[0]?.trim() : undefined);
  const host = forwarded("x-forwarded-host") || request.headers.get("host") || url.host;
  const forwardedProto = forwarded("x-forwarded-proto");
  const scheme = forwardedProto === "https" || forwardedProto === "http" ? forwardedProto : url.protocol.replace(":", "");
  // A Host header that is not a plain host[:port] falls back to the URL the server saw.
  return /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/.test(host) ? `${scheme}://${host}` : url.origin;
}

const SHA1 = /^[0-9a-f]{40}$/;

/**
 * Stores the chunks of a multipart POST: parts `file` (as is) or `file_gzip` (gzip, inflated to
 * at most CHUNK_SIZE), each named by the sha1 of its uncompressed bytes, which is checked.
 * Every chunk is verified before any is stored, so a refused request stores nothing. The
 * uncompressed chunks of one request are held together, so their sum is bounded too: by
 * maxRequestSize, which sentry-cli's batches never pass (it batches by uncompressed size).
 */
export async function uploadChunks(viewer: Viewer, orgSlug: string, request: Request): Promise<{ stored: number }> {
  const org = await orgForViewer(viewer, orgSlug);
  assertCan(viewer.role, "releases:write");
  // sentry-cli sends one part per chunk; a few more leave room for a client's extra fields.
  const body = await boundedBody(request, MAX_REQUEST_BODY, "The chunk upload request");
  const form = await multipartForm(request, body, CHUNKS_PER_REQUEST + 16);
  const chunks = new Map<string, Buffer>();
  let inflated = 0;
  for (const [field, value] of form.entries()) {
    if (field !== "file" && field !== "file_gzip") continue;
    if (typeof value === "string") throw new AppError("bad_request", `Part "${field}" must be a file named by the chunk's sha1`);
    if (chunks.size >= CHUNKS_PER_REQUEST) throw new AppError("bad_request", `At most ${CHUNKS_PER_REQUEST} chunks per request`);
    const name = value.name.toLowerCase();
    if (!SHA1.test(name)) throw new AppError("bad_request", `Chunk file name ${JSON.stringify(value.name.slice(0, 64))} is not a sha1 checksum`);
    const sent = Buffer.from(await value.arrayBuffer());
    const data = field === "file_gzip" ? gunzipChunk(sent, name) : sent;
    if (data.length > CHUNK_SIZE) throw new AppError("bad_request", `Chunk ${name} is ${data.length} bytes; chunks may be at most ${CHUNK_SIZE} bytes`);
    inflated += data.length;
    if (inflated > MAX_REQUEST_SIZE) {
      throw new AppError("bad_request", `The chunks of one request inflate to more than ${MAX_REQUEST_SIZE} bytes: send fewer per request`);
    }
    const actual = createHash("sha1").update(data).digest("hex");
    if (actual !== name) throw new AppError("bad_request", `Checksum mismatch: chunk ${name} has sha1 ${actual}`);
    chunks.set(name, data);
  }
  if (chunks.size === 0) throw new AppError("bad_request", 'No chunks: send multipart parts named "file" or "file_gzip"');
  // Blob first, row second: a row always has its bytes. A chunk sent again has its row's clock
  // reset, so it does not expire while a bundle still waits for it.
  await Promise.all([...chunks].map(([sha1, data]) => blobStore().put(chunkKey(org.id, sha1), data)));
  const checksums = [...chunks.keys()];
  const sizes = [...chunks.values()].map((data) => data.length);
  await db().$executeRaw`
    insert into file_chunks (org_id, checksum, size)
    select ${org.id}, checksum, size from unnest(${checksums}::text[], ${sizes}::int[]) as c(checksum, size)
    on conflict (org_id, checksum) do update set created_at = now()`;
  return { stored: chunks.size };
}

function gunzipChunk(data: Buffer, name: string): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: CHUNK_SIZE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
      throw new AppError("bad_request", `Chunk ${name} inflates to more than ${CHUNK_SIZE} bytes`);
    }
    throw new AppError("bad_request", `Chunk ${name} is not valid gzip`);
  }
}

/** A failure of a chunk upload in the shape Sentry's endpoint answers with: `{"error": "..."}`. */
export function chunkUploadError(error: unknown): Response {
  if (error instanceof AppError && error.code === "bad_request") return Response.json({ error: error.message }, { status: 400 });
  throw error;
}
