import { randomBytes } from "node:crypto";
import { db } from "../db";
import { env } from "../env";
import { AppError } from "../errors";
import { slugSchema } from "../slug";
import { formatDsn } from "./dsn";

/** A DSN key's public or secret part: 32 hex characters, as Sentry makes them. */
export const newProjectKey = () => randomBytes(16).toString("hex");

/** Returns the org's project with this slug, creating it (with a first DSN key) when missing. */
export async function ensureProject(orgId: number, input: { slug: string; name?: string; platform?: string }) {
  const slug = slugSchema.parse(input.slug);
  const existing = await db().project.findUnique({ where: { orgId_slug: { orgId, slug } }, select: { id: true } });
  if (existing) return existing;
  return db().project.create({
    data: {
      orgId,
      slug,
      name: input.name ?? slug,
      platform: input.platform ?? "other",
      keys: { create: { publicKey: newProjectKey(), secretKey: newProjectKey() } },
    },
    select: { id: true },
  });
}

/** The first active key of a project as a DSN. Scoped by org: a foreign project is not found. */
export async function projectDsn(orgId: number, projectId: number): Promise<string> {
  const key = await db().projectKey.findFirst({
    where: { projectId, active: true, project: { orgId } },
    orderBy: { id: "asc" },
    select: { publicKey: true },
  });
  if (!key) throw new AppError("not_found", "project has no active key");
  return formatDsn(env().INGEST_URL, key.publicKey, projectId);
}

/** The org's projects with their active DSNs, for the org home page. */
export async function listProjectsWithDsns(orgId: number) {
  const projects = await db().project.findMany({
    where: { orgId },
    orderBy: { name: "asc" },
    select: {
      id: true,
      slug: true,
      name: true,
      platform: true,
      firstEventAt: true,
      keys: { where: { active: true }, orderBy: { id: "asc" }, select: { publicKey: true } },
    },
  });
  return projects.map(({ keys, ...project }) => ({
    ...project,
    dsns: keys.map((k) => formatDsn(env().INGEST_URL, k.publicKey, project.id)),
  }));
}
