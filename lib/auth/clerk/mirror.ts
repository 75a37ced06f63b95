import { audit } from "../../audit";
import { db, type Tx } from "../../db";
import type { Role } from "../../generated/prisma/enums.ts";
import { logger } from "../../logger";
import { unsafeFirstUserIsSuperuser } from "../../operator/first-user";
import { freeOrgSlug } from "../../orgs";
import { emailSchema } from "../../users";
import { changedSinceToken } from "./changes";

// With Clerk as the identity provider, Clerk owns people, organizations and who belongs where;
// our users, organizations and memberships mirror it (matched on clerkId) because everything
// else (projects, issues, tokens, audit log) hangs off them. Two paths write the mirror, through
// the same functions: Clerk's webhooks, and every signed-in request (just in time, from the
// verified session token), so a missed or late webhook never locks anyone out.

/** A verified Clerk session, reduced to what the mirror needs. */
export type ClerkIdentity = {
  /** Clerk user id (the token's sub). */
  userId: string;
  /** Primary email, when the session token carries it (see README: session token claims). */
  email: string | null;
  name: string | null;
  /** The session's active organization, if any. */
  org: { id: string; slug: string | null; role: string | null } | null;
  /** When the token was issued (its iat, in seconds): claims older than a change are stale. */
  issuedAt: number | null;
};

export type MirroredUser = { id: number; email: string; name: string };

/**
 * Reads a verified session token's claims: v2 tokens carry the active org as
 * `o: {id, rol, slg}` (role without the "org:" prefix), v1 tokens as org_id/org_role/org_slug.
 * `email` and `name` are custom claims (Clerk: Sessions > Customize session token).
 */
export function identityFromClaims(claims: Record<string, unknown>): ClerkIdentity | null {
  const userId = text(claims.sub);
  if (!userId) return null;
  let org: ClerkIdentity["org"] = null;
  const o = claims.o;
  if (o && typeof o === "object") {
    const v2 = o as Record<string, unknown>;
    const id = text(v2.id);
    if (id) org = { id, slug: text(v2.slg), role: text(v2.rol) };
  } else {
    const id = text(claims.org_id);
    if (id) org = { id, slug: text(claims.org_slug), role: text(claims.org_role) };
  }
  return {
    userId,
    email: text(claims.email) ?? text(claims.primary_email_address),
    name: text(claims.name),
    org,
    issuedAt: typeof claims.iat === "number" ? claims.iat : null,
  };
}

/**
 * Clerk organization role -> our role. Clerk's default roles are org:admin and org:member;
 * org:owner and org:billing are custom roles an instance may add to use ours. Any other custom
 * role gets the least privilege. Clerk cannot say who the owner is, so an org:admin becomes our
 * owner when the org has none (see resolveRole), and an owner stays owner while Clerk says admin.
 */
export function mapClerkRole(role: string | null | undefined): Role {
  switch (role?.replace(/^org:/, "")) {
    case "owner":
      return "owner";
    case "admin":
      return "admin";
    case "billing":
      return "billing";
    default:
      return "member";
  }
}

/** The role to store for a member Clerk gives `mapped`, who has `current` here now. */
export function resolveRole(mapped: Role, current: Role | null, orgHasAnotherOwner: boolean): Role {
  if (mapped === "admin" && (current === "owner" || !orgHasAnotherOwner)) return "owner";
  return mapped;
}

// True when applying `mapped` would change nothing (checked without locks, before any write).
function roleUpToDate(current: Role, mapped: Role): boolean {
  return current === mapped || (mapped === "admin" && current === "owner");
}

/**
 * Just-in-time mirroring for a signed-in request: makes sure the user, the session's active org
 * and the membership exist with the role Clerk gives. Reads only, when they are already in step.
 * `lookupUser` fetches the email when the token does not carry it (a first visit only).
 * Claims older than a change Clerk's webhooks reported (a member removed or demoted, a user or
 * org deleted) are not applied: null when the user was deleted after the token was issued.
 */
export async function mirrorSession(
  identity: ClerkIdentity,
  lookupUser?: (clerkUserId: string) => Promise<{ email: string | null; name: string | null } | null>,
): Promise<{ user: MirroredUser; orgSlug: string | null } | null> {
  const known = await db().user.findUnique({ where: { clerkId: identity.userId }, select: USER });
  const claimedEmail = normalEmail(identity.email);
  if (known && (!claimedEmail || claimedEmail === known.email)) {
    if (!identity.org) return { user: known, orgSlug: null };
    const membership = await db().membership.findFirst({
      where: { userId: known.id, org: { clerkId: identity.org.id } },
      select: { role: true, org: { select: { slug: true } } },
    });
    if (membership && roleUpToDate(membership.role, mapClerkRole(identity.org.role))) {
      return { user: known, orgSlug: membership.org.slug };
    }
  }
  if (!known && (await changedSinceToken({ user: identity.userId }, identity.issuedAt))) return null;
  let profile = { email: identity.email, name: identity.name };
  if (!known && !profile.email && lookupUser) profile = (await lookupUser(identity.userId)) ?? profile;
  // Each step commits on its own and is idempotent: a request racing another one for the same
  // new user or org redoes only the step it lost.
  const user = await syncClerkUser({
    clerkId: identity.userId,
    email: profile.email,
    // Clerk only lets a verified address be primary, which is what the email claim carries.
    emailVerified: true,
    name: profile.name,
  });
  if (!identity.org) return { user, orgSlug: null };
  if (
    (await changedSinceToken({ org: identity.org.id }, identity.issuedAt)) ||
    (await changedSinceToken({ org: identity.org.id, user: identity.userId }, identity.issuedAt))
  ) {
    // The webhook's state stands: the token predates it.
    const current = await db().membership.findFirst({
      where: { userId: user.id, org: { clerkId: identity.org.id } },
      select: { org: { select: { slug: true } } },
    });
    return { user, orgSlug: current?.org.slug ?? null };
  }
  const org = await mirrorOrg(
    { clerkId: identity.org.id, slug: identity.org.slug, name: null },
    { rename: false },
  );
  await setMembership(org.id, user.id, identity.org.role);
  return { user, orgSlug: org.slug };
}

// ---------------------------------------------------------------------------------------------
// The mirror's writes, each idempotent: applying the same Clerk state twice changes nothing.

export type ClerkUserInput = {
  clerkId: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
};
export type ClerkOrgInput = { clerkId: string; slug: string | null; name: string | null };

export function syncClerkUser(input: ClerkUserInput): Promise<MirroredUser> {
  return retryOnConflict(() => db().$transaction((tx) => upsertUser(tx, input)));
}

export function syncClerkOrg(input: ClerkOrgInput): Promise<{ id: number; slug: string }> {
  return mirrorOrg(input, { rename: true });
}

/** A membership as Clerk has it; creates the user and org too when their own events are late. */
export async function syncClerkMembership(input: {
  org: ClerkOrgInput;
  user: ClerkUserInput;
  role: string;
}): Promise<Role> {
  const org = await mirrorOrg(input.org, { rename: true });
  const user = await syncClerkUser(input.user);
  return setMembership(org.id, user.id, input.role);
}

function mirrorOrg(input: ClerkOrgInput, options: { rename: boolean }) {
  return retryOnConflict(() => db().$transaction((tx) => upsertOrg(tx, input, options)));
}

function setMembership(orgId: number, userId: number, clerkRole: string | null) {
  return retryOnConflict(() => db().$transaction((tx) => applyMembership(tx, orgId, userId, clerkRole)));
}

/** Removes a membership (and the member's API tokens in that org); false when there was none. */
export async function removeClerkMembership(orgClerkId: string, userClerkId: string): Promise<boolean> {
  return db().$transaction(async (tx) => {
    const membership = await tx.membership.findFirst({
      where: { org: { clerkId: orgClerkId }, user: { clerkId: userClerkId } },
      select: { orgId: true, userId: true },
    });
    if (!membership) return false;
    await removeMembership(tx, membership.orgId, membership.userId);
    return true;
  });
}

/** Deletes a user Clerk deleted, with their memberships; their orgs keep an owner where one can be found. */
export async function deleteClerkUser(clerkId: string): Promise<boolean> {
  return db().$transaction(async (tx) => {
    const user = await tx.user.findUnique({
      where: { clerkId },
      select: { id: true, memberships: { select: { orgId: true } } },
    });
    if (!user) return false;
    for (const { orgId } of user.memberships) await removeMembership(tx, orgId, user.id);
    await tx.user.delete({ where: { id: user.id } });
    return true;
  });
}

/**
 * Deletes an org Clerk deleted, with everything in it (projects, events, tokens): nobody can
 * reach it any more, since Clerk no longer lets anyone be its member.
 */
export async function deleteClerkOrg(clerkId: string): Promise<boolean> {
  const { count } = await db().organization.deleteMany({ where: { clerkId } });
  return count > 0;
}

const USER = { id: true, email: true, name: true } as const;

// Users are matched on clerkId. A first sighting whose verified email belongs to a built-in
// account (no clerkId) takes that account over: same person, same address, verified by Clerk.
// One held by another Clerk user is stale (Clerk keeps verified addresses unique, so that user
// lost it without a webhook reaching us), and is freed. An address that cannot be used (none
// known, unverified and taken) is replaced by a placeholder until a webhook brings a real one.
async function upsertUser(tx: Tx, input: ClerkUserInput): Promise<MirroredUser> {
  const email = normalEmail(input.email);
  const name = input.name?.trim().slice(0, 100) || null;
  const existing = await tx.user.findUnique({ where: { clerkId: input.clerkId }, select: USER });
  const holder = email
    ? await tx.user.findUnique({ where: { email }, select: { id: true, clerkId: true } })
    : null;
  if (!existing && holder && !holder.clerkId && input.emailVerified) {
    return tx.user.update({
      where: { id: holder.id },
      data: { clerkId: input.clerkId, ...(name ? { name } : {}), emailVerifiedAt: new Date() },
      select: USER,
    });
  }
  if (holder && holder.id !== existing?.id && holder.clerkId && input.emailVerified) {
    await tx.user.update({
      where: { id: holder.id },
      data: { email: placeholderEmail(holder.clerkId) },
      select: { id: true },
    });
  }
  const usable =
    email && (!holder || holder.id === existing?.id || (holder.clerkId && input.emailVerified))
      ? email
      : null;
  if (!existing) {
    return tx.user.create({
      data: {
        clerkId: input.clerkId,
        email: usable ?? placeholderEmail(input.clerkId),
        name: name ?? "",
        emailVerifiedAt: usable && input.emailVerified ? new Date() : null,
        isSuperuser: await unsafeFirstUserIsSuperuser(tx),
      },
      select: USER,
    });
  }
  // An unverified address never replaces a verified one, only a placeholder.
  const newEmail =
    usable && usable !== existing.email && (input.emailVerified || isPlaceholder(existing.email))
      ? usable
      : null;
  const newName = name && name !== existing.name ? name : null;
  if (!newEmail && !newName) return existing;
  return tx.user.update({
    where: { id: existing.id },
    data: {
      ...(newEmail ? { email: newEmail, emailVerifiedAt: input.emailVerified ? new Date() : null } : {}),
      ...(newName ? { name: newName } : {}),
    },
    select: USER,
  });
}

// Orgs are matched on clerkId; the slug follows Clerk's, made unique and kept clear of the app's
// own routes (so "acme" may be "acme-2" here). Just-in-time mirroring only creates orgs: names
// and slug changes come with organization.updated.
async function upsertOrg(
  tx: Tx,
  input: ClerkOrgInput,
  options: { rename: boolean },
): Promise<{ id: number; slug: string }> {
  const name = input.name?.trim().slice(0, 100) || null;
  const existing = await tx.organization.findUnique({
    where: { clerkId: input.clerkId },
    select: { id: true, slug: true, name: true },
  });
  if (!existing) {
    // Instances may turn org slugs off: the name, or else the org's id, gives one.
    const slug = await freeOrgSlug(tx, input.slug || name || input.clerkId);
    const org = await tx.organization.create({
      data: { clerkId: input.clerkId, slug, name: name ?? input.slug ?? slug },
      select: { id: true, slug: true },
    });
    await audit(
      { userId: null, orgId: org.id },
      {
        action: "org.created",
        targetType: "organization",
        targetId: org.id,
        data: { slug, source: "clerk" },
      },
      tx,
    );
    return org;
  }
  if (!options.rename) return existing;
  const slug =
    input.slug && !slugFollows(existing.slug, input.slug) ? await freeOrgSlug(tx, input.slug) : existing.slug;
  const after = { name: name ?? existing.name, slug };
  if (after.name === existing.name && after.slug === existing.slug) return existing;
  await tx.organization.update({ where: { id: existing.id }, data: after, select: { id: true } });
  await audit(
    { userId: null, orgId: existing.id },
    {
      action: "org.updated",
      targetType: "organization",
      targetId: existing.id,
      data: { before: { name: existing.name, slug: existing.slug }, after, source: "clerk" },
    },
    tx,
  );
  return { id: existing.id, slug };
}

// Sets a member's role from Clerk's, keeping an owner: the first admin of an ownerless org
// becomes its owner, and demoting the last owner promotes the longest-standing admin (or, with
// no admin at all, keeps the owner: an org is never left without one).
async function applyMembership(
  tx: Tx,
  orgId: number,
  userId: number,
  clerkRole: string | null,
): Promise<Role> {
  await lockMemberships(tx, orgId);
  const current = await tx.membership.findUnique({
    where: { orgId_userId: { orgId, userId } },
    select: { id: true, role: true },
  });
  const otherOwners = await tx.membership.count({ where: { orgId, role: "owner", userId: { not: userId } } });
  const role = resolveRole(mapClerkRole(clerkRole), current?.role ?? null, otherOwners > 0);
  if (current?.role === role) return role;
  if (current?.role === "owner" && otherOwners === 0 && !(await promoteSuccessor(tx, orgId, userId))) {
    logger.warn({ orgId, userId, clerkRole }, "clerk: kept the only owner (no admin to take over)");
    return "owner";
  }
  if (current) {
    await tx.membership.update({ where: { id: current.id }, data: { role } });
    await audit(
      { userId: null, orgId },
      {
        action: "member.role_change",
        targetType: "user",
        targetId: userId,
        data: { from: current.role, to: role, source: "clerk" },
      },
      tx,
    );
  } else {
    await tx.membership.create({ data: { orgId, userId, role } });
    await audit(
      { userId: null, orgId },
      { action: "member.join", targetType: "user", targetId: userId, data: { role, source: "clerk" } },
      tx,
    );
  }
  return role;
}

async function removeMembership(tx: Tx, orgId: number, userId: number): Promise<void> {
  await lockMemberships(tx, orgId);
  const removed = await tx.membership.delete({
    where: { orgId_userId: { orgId, userId } },
    select: { role: true },
  });
  await tx.apiToken.updateMany({
    where: { orgId, userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  await audit(
    { userId: null, orgId },
    {
      action: "member.remove",
      targetType: "user",
      targetId: userId,
      data: { role: removed.role, source: "clerk" },
    },
    tx,
  );
  if (removed.role === "owner" && (await tx.membership.count({ where: { orgId, role: "owner" } })) === 0) {
    await promoteSuccessor(tx, orgId, userId);
  }
}

/** Makes the longest-standing other admin the owner; false when there is none. */
async function promoteSuccessor(tx: Tx, orgId: number, exceptUserId: number): Promise<boolean> {
  const admin = await tx.membership.findFirst({
    where: { orgId, role: "admin", userId: { not: exceptUserId } },
    orderBy: { id: "asc" },
    select: { id: true, userId: true },
  });
  if (!admin) return false;
  await tx.membership.update({ where: { id: admin.id }, data: { role: "owner" } });
  await audit(
    { userId: null, orgId },
    {
      action: "member.role_change",
      targetType: "user",
      targetId: admin.userId,
      data: { from: "admin", to: "owner", source: "clerk", reason: "the organization keeps an owner" },
    },
    tx,
  );
  return true;
}

// Serializes membership changes per org, so two concurrent changes cannot both see "no owner"
// (and both become owner) or "another owner" (and leave none). The org row is locked as well as
// the membership rows lib/members locks: a brand-new org has no membership rows to lock yet.
async function lockMemberships(tx: Tx, orgId: number): Promise<void> {
  await tx.$queryRaw`select id from organizations where id = ${orgId} for update`;
  await tx.$queryRaw`select id from memberships where org_id = ${orgId} for update`;
}

// "acme-2" still follows Clerk's "acme" (it was taken, or reserved, when the org was mirrored).
function slugFollows(ours: string, clerkSlug: string): boolean {
  const base =
    clerkSlug
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40) || "org";
  return ours === base || (ours.startsWith(`${base}-`) && /^\d+$/.test(ours.slice(base.length + 1)));
}

function normalEmail(email: string | null | undefined): string | null {
  const parsed = emailSchema.safeParse(email ?? "");
  return parsed.success && !isPlaceholder(parsed.data) ? parsed.data : null;
}

// Reserved .invalid TLD (RFC 2606): never deliverable, never anyone's real address.
const PLACEHOLDER_DOMAIN = "@clerk.invalid";
const placeholderEmail = (clerkId: string) => `${clerkId}${PLACEHOLDER_DOMAIN}`;
const isPlaceholder = (email: string) => email.endsWith(PLACEHOLDER_DOMAIN);

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

// Two requests (or a request and a webhook) mirroring the same new user or org at once: one
// insert wins, the other hits the unique index and, on its next try, finds the row.
async function retryOnConflict<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if ((error as { code?: string }).code !== "P2002" || attempt >= attempts) throw error;
    }
  }
}
