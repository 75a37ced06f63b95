import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { AppError } from "../errors";

export type ApiOrg = { id: number; slug: string; name: string; plan: string; createdAt: Date };

/**
 * The org of the URL, which must be the token's own: a token for org A naming org B (existing
 * or not) gets the same 404, so existence never leaks. Looked up by the viewer's org id, never
 * by the slug alone.
 */
export async function orgForViewer(viewer: Viewer, slug: string | undefined): Promise<ApiOrg> {
  const org = await db().organization.findUnique({
    where: { id: viewer.orgId },
    select: { id: true, slug: true, name: true, plan: true, createdAt: true },
  });
  if (!org || (slug !== undefined && org.slug !== slug)) throw new AppError("not_found", "no such organization");
  return org;
}

/** The project of the URL, in the viewer's org (checked through `orgSlug` too). */
export async function projectForViewer(viewer: Viewer, orgSlug: string, projectSlug: string) {
  const org = await orgForViewer(viewer, orgSlug);
  const project = await db().project.findFirst({
    where: { orgId: viewer.orgId, slug: projectSlug },
    select: { id: true, slug: true, name: true, platform: true, firstEventAt: true, createdAt: true },
  });
  if (!project) throw new AppError("not_found", "no such project");
  return { org, project };
}
