import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";

export const projectSelect = {
  id: true,
  slug: true,
  name: true,
  platform: true,
  firstEventAt: true,
  createdAt: true,
} as const;

/** The viewer's org's projects, by slug. */
export function listProjects(viewer: Viewer) {
  assertCan(viewer.role, "projects:read");
  return db().project.findMany({ where: { orgId: viewer.orgId }, orderBy: { slug: "asc" }, select: projectSelect });
}

/** What the API and the dashboard show of a DSN key. */
export const projectKeySelect = {
  id: true,
  projectId: true,
  label: true,
  publicKey: true,
  secretKey: true,
  active: true,
  rateLimitCount: true,
  rateLimitWindow: true,
  createdAt: true,
} as const;

/** A project's DSN keys, oldest first; the project must be in the viewer's org. */
export function listProjectKeys(viewer: Viewer, projectId: number) {
  assertCan(viewer.role, "projects:read");
  return db().projectKey.findMany({
    where: { projectId, project: { orgId: viewer.orgId } },
    orderBy: { id: "asc" },
    select: projectKeySelect,
  });
}
