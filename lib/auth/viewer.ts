import type { Role } from "../generated/prisma/enums.ts";
import { db } from "../db";

/** Who is acting, in which org, with which role: the only identity lib/ functions take. */
export type Viewer = { userId: number; orgId: number; role: Role };

export type ViewerOrg = { id: number; slug: string; name: string; plan: string; createdAt: Date };

export const VIEWER_ORG_FIELDS = { id: true, slug: true, name: true, plan: true, createdAt: true } as const;

/**
 * The one lookup of "the org with this slug, for this user": the org and the user's viewer in
 * it, or null when the user is not a member (a foreign org and a missing one look the same).
 */
export async function membershipBySlug(userId: number, orgSlug: string): Promise<{ viewer: Viewer; org: ViewerOrg } | null> {
  const membership = await db().membership.findFirst({
    where: { userId, org: { slug: orgSlug } },
    select: { orgId: true, role: true, org: { select: VIEWER_ORG_FIELDS } },
  });
  return membership ? { viewer: { userId, orgId: membership.orgId, role: membership.role }, org: membership.org } : null;
}

/** The viewer for a signed-in user in the org with this slug; null when not a member. */
export async function viewerForOrg(userId: number, orgSlug: string): Promise<Viewer | null> {
  return (await membershipBySlug(userId, orgSlug))?.viewer ?? null;
}
