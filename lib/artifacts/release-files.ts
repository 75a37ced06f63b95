import { createHash } from "node:crypto";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { blobStore } from "../blobs";
import { db } from "../db";
import { AppError } from "../errors";
import { type PageLinks, keysetPage, parseCursor } from "../pagination";
import { releaseFileKey } from "./blob-keys";
import { projectInOrg } from "./bundles";
import { isPossibleVersion } from "../releases/lookup";
import { assertReleaseVersion, unsafeEnsureRelease } from "./ensure-release";
import { classifyFile } from "./file-kind";
import { boundedBody } from "../api/body";
import { multipartForm } from "./request-body";

// Legacy release files: what sentry-cli 1.x/2.x (without artifact bundles) and older bundler
// plugins upload one by one to `projects/{org}/{project}/releases/{version}/files/`. Each is an
// artifact_files row with no bundle, carrying its project; its bytes are the blob
// artifacts/<orgId>/release-files/<row id>.

export const RELEASE_FILE_MAX_BYTES = 32 * 1024 * 1024;
const MAX_HEADERS = 32;

export type ReleaseFileView = {
  id: bigint;
  release: string;
  name: string;
  dist: string | null;
  type: string;
  debugId: string | null;
  headers: Record<string, string>;
  size: number;
  sha1: string;
  createdAt: Date;
};

const fileSelect = {
  id: true,
  release: true,
  url: true,
  dist: true,
  type: true,
  debugId: true,
  headers: true,
  size: true,
  sha1: true,
  createdAt: true,
} as const;

type FileRow = {
  id: bigint;
  release: string | null;
  url: string;
  dist: string;
  type: string;
  debugId: string | null;
  headers: unknown;
  size: number;
  sha1: string;
  createdAt: Date;
};

const toView = (row: FileRow): ReleaseFileView => ({
  id: row.id,
  release: row.release ?? "",
  name: row.url,
  dist: row.dist === "" ? null : row.dist,
  type: row.type,
  debugId: row.debugId,
  headers: row.headers as Record<string, string>,
  size: row.size,
  sha1: row.sha1,
  createdAt: row.createdAt,
});

export type ReleaseFileInput = { data: Buffer; name: string; dist?: string | null; headers?: string[] };

/** `Key:Value` lines as a map with lowercase keys (readers look `sourcemap` up without caring for case). */
function parseHeaders(lines: string[]): Record<string, string> {
  if (lines.length > MAX_HEADERS) throw new AppError("bad_request", `At most ${MAX_HEADERS} headers per file`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    // control characters (line breaks, NUL) belong in no header value, and PostgreSQL stores no NUL
    if (colon < 1 || !/^[a-z0-9-]{1,64}$/.test(key) || value.length > 1024 || hasControlCharacters(value)) {
      throw new AppError("bad_request", `Invalid header ${JSON.stringify(line.slice(0, 100))}: use Key:Value`);
    }
    headers[key] = value;
  }
  return headers;
}

const hasControlCharacters = (text: string) => [...text].some((c) => c.charCodeAt(0) < 0x20 || c === "\u007f");

function parseName(name: string): string {
  if (name.length < 1 || name.length > 1024 || [...name].some((c) => c.charCodeAt(0) < 0x20)) {
    throw new AppError("bad_request", "name must be 1-1024 characters, such as ~/static/app.js or a full URL");
  }
  return name;
}

function parseDist(dist: string | null | undefined): string {
  if (dist === null || dist === undefined || dist === "") return "";
  if (!/^[^\t\n\r\f\v/\\\0]{1,64}$/.test(dist)) throw new AppError("bad_request", "dist must be 1-64 characters without slashes, line breaks or NUL");
  return dist;
}

/**
 * Stores one file of a release in a project (creating the release if need be); 409 when the
 * project's release already has a file of that name and dist. The blob is written before the
 * row, so a row never points at nothing; a refused upload removes its blob again.
 */
export async function uploadReleaseFile(viewer: Viewer, projectId: number, version: string, input: ReleaseFileInput): Promise<ReleaseFileView> {
  assertCan(viewer.role, "releases:write");
  await projectInOrg(viewer, projectId);
  assertReleaseVersion(version);
  const name = parseName(input.name);
  const dist = parseDist(input.dist);
  const headers = parseHeaders(input.headers ?? []);
  if (input.data.length > RELEASE_FILE_MAX_BYTES) throw new AppError("bad_request", `A release file may be at most ${RELEASE_FILE_MAX_BYTES} bytes`);
  const { type, debugId } = classifyFile(input.data);
  const sha1 = createHash("sha1").update(input.data).digest("hex");

  // The row's id is taken first: it names the blob, which must exist before the row does.
  const [next] = await db().$queryRaw<{ id: bigint }[]>`select nextval(pg_get_serial_sequence('artifact_files', 'id')) as id`;
  const id = next!.id;
  const blobKey = releaseFileKey(viewer.orgId, id);
  await blobStore().put(blobKey, input.data);
  try {
    const row = await db().$transaction(async (tx) => {
      // Two uploads of the same name at once: the second waits here, then sees the first.
      await tx.$executeRaw`select pg_advisory_xact_lock(hashtextextended(${`release-file:${projectId}:${version}:${dist}:${name}`}, 0))`;
      const taken = await tx.artifactFile.findFirst({
        where: { orgId: viewer.orgId, projectId, bundleId: null, release: version, dist, url: name },
        select: { id: true },
      });
      if (taken) throw new AppError("conflict", "A file matching this name already exists for the given release");
      await unsafeEnsureRelease(tx, viewer.orgId, version, [projectId]);
      return tx.artifactFile.create({
        data: { id, orgId: viewer.orgId, projectId, release: version, dist, url: name, type, debugId, headers, blobKey, size: input.data.length, sha1 },
        select: fileSelect,
      });
    });
    return toView(row);
  } catch (error) {
    await blobStore().delete([blobKey]).catch(() => {});
    throw error;
  }
}

/** The release's files in the project, newest first, keyset-paged on the row id (at most 100 a page). */
export async function listReleaseFiles(
  viewer: Viewer,
  projectId: number,
  version: string,
  options: { cursor?: string; limit?: number } = {},
): Promise<{ files: ReleaseFileView[]; links: PageLinks }> {
  assertCan(viewer.role, "releases:read");
  await releaseInProject(viewer, projectId, version);
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 100);
  const cursor = parseCursor(options.cursor);
  // a forged cursor past the ids' bigint range
  if (cursor && cursor.key > 9_223_372_036_854_775_807n) throw new AppError("bad_request", "Invalid cursor");
  const rows = await db().artifactFile.findMany({
    where: {
      orgId: viewer.orgId,
      projectId,
      bundleId: null,
      release: version,
      ...(cursor ? { id: cursor.prev ? { gt: cursor.key } : { lt: cursor.key } } : {}),
    },
    orderBy: { id: cursor?.prev ? "asc" : "desc" },
    take: limit + 1,
    select: fileSelect,
  });
  const page = keysetPage(rows, limit, cursor, (row) => ({ value: row.id, key: row.id }));
  return { files: page.items.map(toView), links: page.links };
}

export async function getReleaseFile(viewer: Viewer, projectId: number, version: string, id: bigint): Promise<ReleaseFileView> {
  assertCan(viewer.role, "releases:read");
  return toView(await fileInProject(viewer, projectId, version, id));
}

/** The file's bytes (for Sentry's `?download=1`), with its view. */
export async function downloadReleaseFile(viewer: Viewer, projectId: number, version: string, id: bigint) {
  assertCan(viewer.role, "releases:read");
  const row = await fileInProject(viewer, projectId, version, id);
  const data = await blobStore().get(releaseFileKey(viewer.orgId, row.id));
  if (!data) throw new AppError("not_found", "the file's contents are gone");
  return { file: toView(row), data };
}

export async function deleteReleaseFile(viewer: Viewer, projectId: number, version: string, id: bigint): Promise<void> {
  assertCan(viewer.role, "releases:write");
  const row = await fileInProject(viewer, projectId, version, id);
  const { count } = await db().artifactFile.deleteMany({ where: { id: row.id, orgId: viewer.orgId, projectId, bundleId: null } });
  if (count === 0) throw new AppError("not_found", "no such file");
  await blobStore().delete([releaseFileKey(viewer.orgId, row.id)]);
}

/** 404 unless the release exists in the viewer's org (legacy files are listed under it). */
async function releaseInProject(viewer: Viewer, projectId: number, version: string) {
  await projectInOrg(viewer, projectId);
  if (!isPossibleVersion(version)) throw new AppError("not_found", "no such release");
  const release = await db().release.findFirst({ where: { orgId: viewer.orgId, version }, select: { id: true } });
  if (!release) throw new AppError("not_found", "no such release");
}

async function fileInProject(viewer: Viewer, projectId: number, version: string, id: bigint) {
  await releaseInProject(viewer, projectId, version);
  const row = await db().artifactFile.findFirst({
    where: { id, orgId: viewer.orgId, projectId, bundleId: null, release: version },
    select: { ...fileSelect },
  });
  if (!row) throw new AppError("not_found", "no such file");
  return row;
}

/** Sentry's release file JSON. */
export function serializeReleaseFile(file: ReleaseFileView) {
  return {
    id: String(file.id),
    name: file.name,
    dist: file.dist,
    headers: file.headers,
    size: file.size,
    sha1: file.sha1,
    dateCreated: file.createdAt.toISOString(),
  };
}

/**
 * The multipart body sentry-cli 1.x/2.x sends: `file`, `name` (defaults to the file's own
 * name), `dist`, and a `header` part per header. Bounded before it is parsed.
 */
export async function releaseFileFromRequest(request: Request): Promise<ReleaseFileInput> {
  const body = await boundedBody(request, RELEASE_FILE_MAX_BYTES + 64 * 1024, "The release file");
  // file, name, dist and a part per header: a few dozen at most
  const form = await multipartForm(request, body, MAX_HEADERS + 16);
  const file = form.get("file");
  if (!file || typeof file === "string") throw new AppError("bad_request", 'Missing uploaded file: send it as the multipart part "file"');
  const text = (key: string) => {
    const value = form.get(key);
    return typeof value === "string" ? value : undefined;
  };
  return {
    data: Buffer.from(await file.arrayBuffer()),
    name: text("name") ?? file.name,
    dist: text("dist"),
    headers: form.getAll("header").filter((value): value is string => typeof value === "string"),
  };
}

/** A file id from the path; anything but a positive integer is simply not found. */
export function parseReleaseFileId(text: string): bigint {
  if (!/^\d{1,18}$/.test(text) || BigInt(text) < 1n) throw new AppError("not_found", "no such file");
  return BigInt(text);
}
