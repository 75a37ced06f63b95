import { z } from "zod";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { type Tx, db } from "../db";

import { type PageLinks, offsetOf, offsetPage, parseCursor } from "../pagination";
import { type ReleaseDetail, getReleaseDetail, unsafeReleaseCommits } from "./detail";
import type { CommitRef } from "./list";
import { isStorableDate, releaseIn, storableText } from "./lookup";

// `sentry-cli releases set-commits`: the commits of a release, their repositories (made by
// name on first use; there is no provider integration here) and the files each touched.

const shaSchema = z.string().min(1).max(64).regex(/^[\w.-]+$/, "a commit id is a sha");
const repositoryName = storableText(200).min(1);

// Each changed file is a row written in the request's transaction: 10,000 commits of 100 files
// took 17 s and +660 MB in the web process, and the schema's own bounds (10,000 x 1,000) ten
// times that, past the transaction's timeout. sentry-cli sends the commits since the previous
// release (20 for a first one), so real requests stay far below.
const MAX_FILE_CHANGES = 100_000;

export const commitsSchema = z
  .array(
    z.object({
      id: shaSchema,
      repository: repositoryName.nullable().optional(),
      message: storableText(65_536).nullable().optional(),
      author_name: storableText(200).nullable().optional(),
      author_email: storableText(320).nullable().optional(),
      timestamp: z.string().max(64).refine(isStorableDate, "must be an ISO 8601 date between the years 1 and 9999").nullable().optional(),
      // Sentry keeps A(dded), M(odified) and D(eleted); anything else git reports is a change.
      patch_set: z
        .array(
          z.object({
            path: storableText(1000).min(1),
            type: z
              .string()
              .max(2)
              .transform((t) => (t === "A" || t === "D" ? t : "M")),
          }),
        )
        .max(1000)
        .nullable()
        .optional(),
    }),
  )
  .max(10_000)
  .refine((commits) => commits.reduce((sum, c) => sum + (c.patch_set?.length ?? 0), 0) <= MAX_FILE_CHANGES, {
    message: `at most ${MAX_FILE_CHANGES} changed files (patch_set entries) in all`,
  });

/** Head commits by repository, as set-commits sends them when the repositories exist. */
export const refsSchema = z
  .array(z.object({ repository: repositoryName, commit: shaSchema, previousCommit: shaSchema.nullable().optional() }))
  .max(1000);

type CommitInput = z.infer<typeof commitsSchema>[number];

/**
 * Replaces a release's commit list in the caller's transaction (order = position, 0 = head).
 * Commits are kept per (repository, sha) and shared between releases: a known one gets the
 * fields this request has. Without `commits`, `refs` give each repository's head commit only:
 * finding the commits between previousCommit and commit would take a provider integration.
 */
export async function setReleaseCommits(
  tx: Tx,
  orgId: number,
  releaseId: number,
  commits: CommitInput[] | undefined,
  refs: z.infer<typeof refsSchema> | undefined,
): Promise<void> {
  // Sentry's name for commits that name no repository.
  const fallbackRepository = `organization-${orgId}`;
  const list: CommitInput[] = commits ?? (refs ?? []).map((ref) => ({ id: ref.commit, repository: ref.repository }));
  const seen = new Set<string>();
  const unique = list.filter((c) => {
    const key = `${c.repository ?? fallbackRepository}\n${c.id}`;
    return !seen.has(key) && seen.add(key);
  });
  await tx.$executeRaw`delete from release_commits where release_id = ${releaseId}`;
  if (unique.length === 0) return;

  const names = [...new Set(unique.map((c) => c.repository ?? fallbackRepository))].sort();
  await tx.$executeRaw`
    insert into repositories (org_id, name) select ${orgId}::int, unnest(${names}::text[])
    on conflict (org_id, name) do nothing`;
  const repos = await tx.repository.findMany({ where: { orgId, name: { in: names } }, select: { id: true, name: true } });
  const repoId = new Map(repos.map((r) => [r.name, r.id]));

  // Upserted in (repository, sha) order, so two releases sharing commits lock them in turn.
  const rows = unique
    .map((c, order) => ({ ...c, order, repositoryId: repoId.get(c.repository ?? fallbackRepository)! }))
    .sort((a, b) => a.repositoryId - b.repositoryId || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const stored = await tx.$queryRaw<{ id: number; repository_id: number; key: string }[]>`
    insert into commits (org_id, repository_id, key, message, author_name, author_email, timestamp)
    select ${orgId}::int, x.repository_id, x.key, x.message, x.author_name, x.author_email, x.ts
    from unnest(${rows.map((r) => r.repositoryId)}::int[], ${rows.map((r) => r.id)}::text[],
                ${rows.map((r) => r.message ?? null)}::text[], ${rows.map((r) => r.author_name ?? null)}::text[],
                ${rows.map((r) => r.author_email ?? null)}::text[],
                ${rows.map((r) => (r.timestamp ? new Date(r.timestamp).toISOString() : null))}::timestamptz[])
         as x(repository_id, key, message, author_name, author_email, ts)
    on conflict (repository_id, key) do update set
      message = coalesce(excluded.message, commits.message),
      author_name = coalesce(excluded.author_name, commits.author_name),
      author_email = coalesce(excluded.author_email, commits.author_email),
      timestamp = coalesce(excluded.timestamp, commits.timestamp)
    returning id, repository_id, key`;
  const commitId = new Map(stored.map((s) => [`${s.repository_id}\n${s.key}`, s.id]));
  const idOf = (r: (typeof rows)[number]) => commitId.get(`${r.repositoryId}\n${r.id}`)!;

  // A commit's files are what the latest request that listed them says.
  const withFiles = rows.filter((r) => r.patch_set);
  if (withFiles.length > 0) {
    await tx.$executeRaw`delete from commit_file_changes where commit_id = any(${withFiles.map(idOf)}::int[])`;
    const files = withFiles.flatMap((r) => r.patch_set!.map((f) => ({ commitId: idOf(r), filename: f.path, type: f.type })));
    if (files.length > 0) {
      await tx.$executeRaw`
        insert into commit_file_changes (commit_id, filename, type)
        select * from unnest(${files.map((f) => f.commitId)}::int[], ${files.map((f) => f.filename)}::text[],
                             ${files.map((f) => f.type)}::text[])`;
    }
  }
  await tx.$executeRaw`
    insert into release_commits (release_id, commit_id, "order")
    select ${releaseId}::int, c, o from unnest(${rows.map(idOf)}::int[], ${rows.map((r) => r.order)}::int[]) as x(c, o)`;
}

export type Repository = { id: number; name: string; url: string | null; provider: string | null; createdAt: Date };

/** The org's repositories (made by set-commits), by name. */
export async function listRepositories(viewer: Viewer): Promise<Repository[]> {
  assertCan(viewer.role, "releases:read");
  return db().repository.findMany({
    where: { orgId: viewer.orgId },
    orderBy: { name: "asc" },
    take: 1000,
    select: { id: true, name: true, url: true, provider: true, createdAt: true },
  });
}

const COMMIT_PAGE = 100;

/** One page of a release's commits, head first. */
export async function listReleaseCommits(
  viewer: Viewer,
  version: string,
  options: { cursor?: string; limit?: number } = {},
): Promise<{ commits: CommitRef[]; links: PageLinks }> {
  assertCan(viewer.role, "releases:read");
  const release = await releaseIn(db(), viewer.orgId, version);
  const limit = Math.min(Math.max(options.limit ?? COMMIT_PAGE, 1), COMMIT_PAGE);
  const offset = offsetOf(parseCursor(options.cursor));
  const rows = await unsafeReleaseCommits(viewer.orgId, release.id, limit + 1, offset);
  const { items, links } = offsetPage(rows, limit, offset);
  return { commits: items, links };
}

/**
 * The latest release of the org created before this one that has commits, or null: where
 * set-commits starts a new release's history (its head commit is the previous one's end).
 */
export async function previousReleaseWithCommits(viewer: Viewer, version: string): Promise<ReleaseDetail | null> {
  assertCan(viewer.role, "releases:read");
  const release = await releaseIn(db(), viewer.orgId, version);
  const [previous] = await db().$queryRaw<{ version: string }[]>`
    select r.version from releases r
    where r.org_id = ${viewer.orgId} and (r.created_at, r.id) < (${release.createdAt}::timestamptz, ${release.id}::int)
      and exists (select 1 from release_commits rc where rc.release_id = r.id)
    order by r.created_at desc, r.id desc
    limit 1`;
  return previous ? getReleaseDetail(viewer, previous.version) : null;
}

