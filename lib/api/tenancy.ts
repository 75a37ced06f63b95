import { assertCan, can } from "../auth/permissions";
import type { Viewer, ViewerOrg } from "../auth/viewer";
import { db } from "../db";
import { AppError } from "../errors";
import { orgForViewer } from "../orgs";
import { listProjects } from "../projects/listing";

export type ApiOrg = ViewerOrg;

/** The project of the URL, in the viewer's org (checked through `orgSlug` too). */
export async function projectForViewer(viewer: Viewer, orgSlug: string, projectSlug: string) {
  const org = await orgForViewer(viewer, orgSlug);
  const project = await db().project.findFirst({
    where: { orgId: viewer.orgId, slug: projectSlug },
    select: { id: true, slug: true, name: true, platform: true, firstEventAt: true, createdAt: true },
  });
  if (!project) throw new AppError("not_found", "no such project");
  assertCan(viewer.role, "projects:read");
  return { org, project };
}

/** The org of the URL with its projects; roles that may not read projects see none. */
export async function orgDetailForViewer(viewer: Viewer, orgSlug: string) {
  const org = await orgForViewer(viewer, orgSlug);
  const projects = can(viewer.role, "projects:read") ? await listProjects(viewer) : [];
  return { org, projects };
}
