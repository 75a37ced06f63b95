import { z } from "zod";
import { audit } from "../audit";
import { assertManagedHere } from "../auth/clerk/config";
import { assertCan } from "../auth/permissions";
import { type Viewer, type ViewerOrg, VIEWER_ORG_FIELDS, membershipBySlug } from "../auth/viewer";
import { db, type Tx } from "../db";
import { AppError } from "../errors";
import { freeSlug, slugSchema, slugify } from "../slug";

// An org's slug is the first segment of its dashboard's URLs, so it must not shadow the app's
// own top-level routes (present or planned).
const RESERVED_SLUGS = new Set([
  "_health", "_next", "about", "admin", "api", "app", "blog", "dashboard", "docs", "forgot-password",
  "invitations", "login", "logout", "new", "organizations", "pricing", "reset-password", "settings",
  "sign-in", "sign-out", "sign-up", "signup", "static", "verify-email",
]);

export const orgSlugSchema = slugSchema.refine((slug) => !RESERVED_SLUGS.has(slug), "this address is reserved");

export const orgInputSchema = z.object({
  name: z.string().trim().min(1, "name your organization").max(100),
  slug: z.string().trim().toLowerCase().pipe(orgSlugSchema),
});

/**
 * A free slug for a new org named `name`: "Acme Inc." -> "acme-inc", then "acme-inc-2" ...
 * Creations of the same name take turns (a lock held to the end of the caller's transaction),
 * so two sign-ups at once do not both pick "acme-inc" and fail the second on the unique key.
 */
export async function freeOrgSlug(tx: Tx, name: string): Promise<string> {
  const base = slugify(name, "org");
  await tx.$executeRaw`select pg_advisory_xact_lock(hashtextextended(${`org-slug:${base}`}, 0))`;
  return freeSlug(
    base,
    async (slug) => RESERVED_SLUGS.has(slug) || Boolean(await tx.organization.findUnique({ where: { slug }, select: { id: true } })),
  );
}

/** A new org owned by the user; its slug from the input, or derived from the name when blank. */
export async function createOrganization(userId: number, input: { name: string; slug?: string }) {
  assertManagedHere("organizations");
  const name = orgInputSchema.shape.name.parse(input.name);
  const wanted = input.slug?.trim() ? orgInputSchema.shape.slug.parse(input.slug) : undefined;
  return db().$transaction(async (tx) => {
    if (wanted) await assertSlugFree(tx, wanted);
    const org = await tx.organization.create({
      data: { slug: wanted ?? (await freeOrgSlug(tx, name)), name, memberships: { create: { userId, role: "owner" } } },
      select: { id: true, slug: true, name: true },
    });
    await audit({ userId, orgId: org.id }, { action: "org.created", targetType: "organization", targetId: org.id, data: { slug: org.slug } }, tx);
    return org;
  });
}

/** Renames the viewer's org and/or changes its slug (owners and admins). */
export async function updateOrganization(viewer: Viewer, input: { name: string; slug: string }) {
  assertCan(viewer.role, "org:update");
  assertManagedHere("organization names and addresses");
  const { name, slug } = orgInputSchema.parse(input);
  return db().$transaction(async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: viewer.orgId }, select: { name: true, slug: true } });
    if (slug !== before.slug) await assertSlugFree(tx, slug);
    const org = await tx.organization.update({ where: { id: viewer.orgId }, data: { name, slug }, select: { id: true, slug: true, name: true } });
    if (name !== before.name || slug !== before.slug) {
      await audit(viewer, { action: "org.updated", targetType: "organization", targetId: org.id, data: { before, after: { name, slug } } }, tx);
    }
    return org;
  });
}

async function assertSlugFree(tx: Tx, slug: string): Promise<void> {
  if (await tx.organization.findUnique({ where: { slug }, select: { id: true } })) {
    throw new AppError("conflict", `the address ${slug} is taken: choose another`);
  }
}

/**
 * Returns the org with this slug, creating it with `ownerId` as owner when missing. System
 * context only (bootstrap, the admin CLI): it checks no permission.
 */
export async function unsafeEnsureOrgOwnedBy(ownerId: number, input: { slug: string; name?: string }) {
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

/** Every org on the installation, for the admin CLI: system context only. */
export function unsafeListOrgs() {
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

/**
 * The org of the URL, which must be the viewer's own: a viewer of org A naming org B (existing
 * or not) gets the same 404, so existence never leaks. Without a slug, the viewer's org.
 */
export async function orgForViewer(viewer: Viewer, slug: string | undefined): Promise<ViewerOrg> {
  const org =
    slug === undefined
      ? await db().organization.findUnique({ where: { id: viewer.orgId }, select: VIEWER_ORG_FIELDS })
      : (await membershipBySlug(viewer.userId, slug))?.org;
  if (!org || org.id !== viewer.orgId) throw new AppError("not_found", "no such organization");
  assertCan(viewer.role, "org:read");
  return org;
}
