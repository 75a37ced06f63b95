import type { Role } from "../generated/prisma/enums.ts";
import { db } from "../db";

/** Who is acting, in which org, with which role: the only identity lib/ functions take. */
export type Viewer = { userId: number; orgId: number; role: Role };

/** The viewer for a signed-in user in the org with this slug; null when not a member. */
export async function viewerForOrg(userId: number, orgSlug: string): Promise<Viewer | null> {
  const membership = await db().membership.findFirst({
    where: { userId, org: { slug: orgSlug } },
    select: { orgId: true, role: true },
  });
  return membership ? { userId, orgId: membership.orgId, role: membership.role } : null;
}
