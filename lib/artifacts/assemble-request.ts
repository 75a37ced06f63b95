import { z } from "zod";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { AppError } from "../errors";
import { orgForViewer } from "../orgs";
import { storableText } from "../releases/lookup";
import { enqueueAssembly } from "./assemble-queue";
import { assertReleaseVersion } from "./ensure-release";
import { MAX_CHUNKS_PER_BUNDLE } from "./limits";

// `POST organizations/{org}/artifactbundle/assemble/`: sentry-cli asks it which chunks of a
// bundle the server lacks, then to assemble the bundle, then polls it until `ok` or `error`.

export type AssembleState = "created" | "assembling" | "ok" | "error" | "not_found";
export type AssembleAnswer = { state: AssembleState; missingChunks: string[]; detail?: string | null };

const sha1 = z.string().regex(/^[0-9a-fA-F]{40}$/, "must be a sha1 checksum (40 hex digits)").transform((s) => s.toLowerCase());

const requestSchema = z
  .object({
    checksum: sha1,
    chunks: z.array(sha1).min(1, "at least one chunk").max(MAX_CHUNKS_PER_BUNDLE, `at most ${MAX_CHUNKS_PER_BUNDLE} chunks per bundle`),
    projects: z.array(z.union([storableText(100).min(1), z.number().int().positive()])).min(1, "at least one project").max(100),
    version: z.string().max(250).nullish(),
    // events' dist is any text of at most 64 characters (lib/events/normalize); NUL cannot be stored
    dist: storableText(64).nullish(),
  })
  .refine((body) => !body.dist || body.version, { message: "dist requires a version", path: ["dist"] });

// An error is answered as such for a while (sentry-cli polls and must see it), then the same
// bundle may be tried again: the failure may have been ours.
const ERROR_KEPT_MS = 10 * 60_000;
// A row still "created" after this long lost its job (a crash between insert and queueing).
const CREATED_REQUEUE_MS = 60_000;

export async function requestAssembly(viewer: Viewer, orgSlug: string, input: unknown): Promise<AssembleAnswer> {
  const org = await orgForViewer(viewer, orgSlug);
  assertCan(viewer.role, "releases:write");
  const body = requestSchema.parse(input);
  const version = body.version || null;
  if (version) assertReleaseVersion(version);
  const projectIds = await resolveProjects(org.id, body.projects);
  const job = { orgId: org.id, checksum: body.checksum, chunks: body.chunks, projectIds, version, dist: body.dist || null };

  // Known bundle: link it to these projects too, and count the upload as a use (retention).
  const bundle = await db().artifactBundle.findUnique({ where: { orgId_checksum: { orgId: org.id, checksum: body.checksum } }, select: { id: true } });
  if (bundle) {
    await db().$transaction([
      db().artifactBundleProject.createMany({ data: projectIds.map((projectId) => ({ bundleId: bundle.id, projectId })), skipDuplicates: true }),
      db().artifactBundle.update({ where: { id: bundle.id }, data: { lastUsedAt: new Date() } }),
    ]);
    return { state: "ok", missingChunks: [] };
  }

  const assembly = await db().bundleAssembly.findUnique({
    where: { orgId_checksum: { orgId: org.id, checksum: body.checksum } },
    select: { state: true, detail: true, updatedAt: true },
  });
  const age = assembly ? Date.now() - assembly.updatedAt.getTime() : 0;
  if (assembly && (assembly.state === "assembling" || (assembly.state === "error" && age < ERROR_KEPT_MS))) {
    return { state: assembly.state as AssembleState, missingChunks: [], detail: assembly.detail };
  }
  if (assembly?.state === "created") {
    if (age > CREATED_REQUEUE_MS) {
      // Of several pollers, the one that moves the clock takes the job over.
      const taken = await db().bundleAssembly.updateMany({
        where: { orgId: org.id, checksum: body.checksum, state: "created", updatedAt: assembly.updatedAt },
        data: { updatedAt: new Date() },
      });
      if (taken.count === 1) await enqueueAssembly(job);
    }
    return { state: "created", missingChunks: [] };
  }

  // Only this org's chunks count: whether another org has the same bytes never shows.
  const present = await db().fileChunk.findMany({ where: { orgId: org.id, checksum: { in: body.chunks } }, select: { checksum: true } });
  const have = new Set(present.map((c) => c.checksum));
  const missing = [...new Set(body.chunks.filter((c) => !have.has(c)))];
  if (missing.length > 0) return { state: "not_found", missingChunks: missing };

  // A stale error or an ok whose bundle was deleted since: start over. Of two concurrent
  // requests only the one that creates the row queues the job.
  if (assembly) await db().bundleAssembly.deleteMany({ where: { orgId: org.id, checksum: body.checksum, state: assembly.state } });
  const created = await db().$executeRaw`
    insert into bundle_assemblies (org_id, checksum, state, updated_at) values (${org.id}, ${body.checksum}, 'created', now())
    on conflict (org_id, checksum) do nothing`;
  if (created === 1) await enqueueAssembly(job);
  return { state: "created", missingChunks: [] };
}

/** Project slugs or ids of the org; any other is a 400 (Sentry: "One or more projects are invalid"). */
async function resolveProjects(orgId: number, projects: (string | number)[]): Promise<number[]> {
  const ids = projects.flatMap((p) => (typeof p === "number" ? [p] : /^\d{1,10}$/.test(p) ? [Number(p)] : []));
  const slugs = projects.filter((p): p is string => typeof p === "string");
  const rows = await db().project.findMany({
    where: { orgId, OR: [{ slug: { in: slugs } }, { id: { in: ids.filter((id) => id <= 2_147_483_647) } }] },
    select: { id: true, slug: true },
  });
  const known = (p: string | number) => rows.some((row) => row.slug === String(p) || row.id === Number(p));
  if (!projects.every(known)) throw new AppError("bad_request", "One or more projects are invalid");
  return [...new Set(rows.filter((row) => projects.some((p) => row.slug === String(p) || row.id === Number(p))).map((row) => row.id))];
}
