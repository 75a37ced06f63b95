import { z } from "zod";
import type { Tx } from "../db";
import { AppError } from "../errors";

// What the release endpoints share: Sentry's rules for versions and dates, and finding a
// release or the projects a body names within one org.

// Sentry's Release.is_valid_version: no line breaks, tabs or slashes (it goes in URL paths), not
// "." or "..", not "latest" (a word its API gives a meaning); 200 characters as the worker keeps.
const BAD_VERSION_CHARS = /[\r\n\f\v\t/\\]/;

export const versionSchema = z
  .string({ error: "version is required" })
  .min(1, "version is required")
  .max(200, "version is longer than 200 characters")
  .refine(
    (v) => !BAD_VERSION_CHARS.test(v) && v !== "." && v !== ".." && v.toLowerCase() !== "latest" && v.trim() === v,
    "version may not contain slashes, tabs or line breaks, start or end with spaces, or be ., .. or latest",
  );

export const dateSchema = z
  .string()
  .max(64)
  .refine((text) => !Number.isNaN(Date.parse(text)), "must be an ISO 8601 date")
  .transform((text) => new Date(text));

/** A project named by slug or numeric id, as sentry-cli sends them. */
export const projectRefsSchema = z.array(z.union([z.string().min(1).max(100), z.number().int().positive()])).max(1000);

/** The ids of the projects of the org that `refs` name; 400 when one is unknown. */
export async function projectIdsOf(tx: Tx, orgId: number, refs: (string | number)[]): Promise<number[]> {
  if (refs.length === 0) return [];
  const slugs = refs.map(String);
  const ids = refs.map(Number).filter((n) => Number.isInteger(n) && n > 0 && n <= 2_147_483_647);
  const rows = await tx.project.findMany({
    where: { orgId, OR: [{ slug: { in: slugs } }, { id: { in: ids } }] },
    select: { id: true, slug: true },
  });
  const known = new Set(rows.flatMap((p) => [p.slug, String(p.id)]));
  if (slugs.some((ref) => !known.has(ref))) throw new AppError("bad_request", "Invalid project ids or slugs");
  return [...new Set(rows.map((p) => p.id))].sort((a, b) => a - b);
}

/** The release of the org with this version; not found otherwise. */
export async function releaseIn(tx: Tx, orgId: number, version: string): Promise<{ id: number; createdAt: Date }> {
  const release = await tx.release.findUnique({
    where: { orgId_version: { orgId, version } },
    select: { id: true, createdAt: true },
  });
  if (!release) throw new AppError("not_found", "no such release");
  return release;
}
