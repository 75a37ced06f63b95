import { db } from "../db";
import { slugSchema } from "../slug";

/** Returns the org with this slug, creating it with `ownerId` as owner when missing. */
export async function ensureOrgOwnedBy(ownerId: number, input: { slug: string; name?: string }) {
  const slug = slugSchema.parse(input.slug);
  const org = await db().organization.upsert({
    where: { slug },
    create: { slug, name: input.name ?? slug },
    update: {},
    select: { id: true, slug: true },
  });
  await db().membership.upsert({
    where: { orgId_userId: { orgId: org.id, userId: ownerId } },
    create: { orgId: org.id, userId: ownerId, role: "owner" },
    update: { role: "owner" },
  });
  return org;
}

export function listOrgs() {
  return db().organization.findMany({
    orderBy: { id: "asc" },
    select: {
      id: true,
      slug: true,
      name: true,
      plan: true,
      createdAt: true,
      _count: { select: { memberships: true, projects: true } },
    },
  });
}

/** Orgs a user belongs to, with their role, oldest membership first. */
export function orgsOfUser(userId: number) {
  return db().membership.findMany({
    where: { userId },
    orderBy: { id: "asc" },
    select: { role: true, org: { select: { id: true, slug: true, name: true } } },
  });
}

/** The org with this slug if the user is a member of it, else null (foreign orgs are 404s). */
export function orgForMember(userId: number, slug: string) {
  return db().organization.findFirst({
    where: { slug, memberships: { some: { userId } } },
    select: { id: true, slug: true, name: true, plan: true },
  });
}
