import { randomBytes } from "node:crypto";
import { unsafeCreateDefaultAlertRule } from "../alerts/rules";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { env } from "../env";
import { AppError } from "../errors";
import { slugSchema } from "../slug";
import { formatDsn } from "./dsn";

/** A DSN key's public or secret part: 32 hex characters, as Sentry makes them. */
export const newProjectKey = () => randomBytes(16).toString("hex");

/**
 * Returns the org's project with this slug, creating it (with a first DSN key and the default
 * alert rule, as the dashboard does) when missing. System context only (bootstrap): it checks no
 * permission.
 */
export async function unsafeEnsureProject(orgId: number, input: { slug: string; name?: string; platform?: string }) {
  const slug = slugSchema.parse(input.slug);
  const existing = await db().project.findUnique({ where: { orgId_slug: { orgId, slug } }, select: { id: true } });
  if (existing) return existing;
  return db().$transaction(async (tx) => {
    const project = await tx.project.create({
      data: {
        orgId,
        slug,
        name: input.name ?? slug,
        platform: input.platform ?? "other",
        keys: { create: { publicKey: newProjectKey(), secretKey: newProjectKey() } },
      },
      select: { id: true },
    });
    await unsafeCreateDefaultAlertRule(tx, project.id);
    return project;
  });
}

/** The first active key of one of the viewer's projects as a DSN; a foreign project is not found. */
export async function projectDsn(viewer: Viewer, projectId: number): Promise<string> {
  assertCan(viewer.role, "projects:read");
  return unsafeProjectDsn(viewer.orgId, projectId);
}

/** The first active key of a project as a DSN, scoped by org. System context only (bootstrap). */
export async function unsafeProjectDsn(orgId: number, projectId: number): Promise<string> {
  const key = await db().projectKey.findFirst({
    where: { projectId, active: true, project: { orgId } },
    orderBy: { id: "asc" },
    select: { publicKey: true },
  });
  if (!key) throw new AppError("not_found", "project has no active key");
  return formatDsn(env().INGEST_URL, key.publicKey, projectId);
}

/** The viewer's org's projects with their active DSNs, for the org home page. */
export async function listProjectsWithDsns(viewer: Viewer) {
  assertCan(viewer.role, "projects:read");
  const projects = await db().project.findMany({
    where: { orgId: viewer.orgId },
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
