import { z } from "zod";
import type { Tx } from "../db";
import { AppError } from "../errors";

// What the release endpoints share: Sentry's rules for versions and dates, and finding a
// release or the projects a body names within one org.

// Sentry's Release.is_valid_version: no line breaks, tabs or slashes (it goes in URL paths), not
// "." or "..", not "latest" (a word its API gives a meaning); 200 characters as the worker keeps.
// NUL as well: PostgreSQL refuses it in text, so it could only ever fail later as a 500.
const BAD_VERSION_CHARS = /[\r\n\f\v\t/\\\0]/;

/** A string PostgreSQL can store in a text column (it refuses NUL), of at most `max` characters. */
export const storableText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => !text.includes("\0"), "may not contain NUL characters");

export const versionSchema = z
  .string({ error: "version is required" })
  .min(1, "version is required")
  .max(200, "version is longer than 200 characters")
  .refine(
    (v) => !BAD_VERSION_CHARS.test(v) && v !== "." && v !== ".." && v.toLowerCase() !== "latest" && v.trim() === v,
    "version may not contain slashes, tabs or line breaks, start or end with spaces, or be ., .. or latest",
  );

/**
 * A date PostgreSQL stores as it was sent: JavaScript reads years up to ±275760, but a year past
 * 9999 is written "+010000-..." (which PostgreSQL does not parse) and year 0 does not exist there.
 */
export function isStorableDate(text: string): boolean {
  const time = Date.parse(text);
  if (Number.isNaN(time)) return false;
  const year = new Date(time).getUTCFullYear();
  return year >= 1 && year <= 9999;
}

export const dateSchema = z
  .string()
  .max(64)
  .refine(isStorableDate, "must be an ISO 8601 date between the years 1 and 9999")
  .transform((text) => new Date(text));

/** A project named by slug or numeric id, as sentry-cli sends them. */
export const projectRefsSchema = z.array(z.union([storableText(100).min(1), z.number().int().positive()])).max(1000);

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

/**
 * Whether a version taken from a URL path could name a stored release at all. One that none can
 * have (a NUL, which PostgreSQL refuses in a query as well, or past 200 characters) is simply not
 * found. Looser than versionSchema on purpose: releases made from events' `release` follow the
 * worker's rule, and each must stay reachable.
 */
export const isPossibleVersion = (version: string) => version.length >= 1 && version.length <= 200 && !version.includes("\0");

/** The release of the org with this version; not found otherwise. */
export async function releaseIn(tx: Tx, orgId: number, version: string): Promise<{ id: number; createdAt: Date }> {
  if (!isPossibleVersion(version)) throw new AppError("not_found", "no such release");
  const release = await tx.release.findUnique({
    where: { orgId_version: { orgId, version } },
    select: { id: true, createdAt: true },
  });
  if (!release) throw new AppError("not_found", "no such release");
  return release;
}
