import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Role } from "../generated/prisma/enums.ts";
import { audit } from "../audit";
import { assertManagedHere } from "../auth/clerk/config";
import { assertCan, canAssignRole } from "../auth/permissions";
import { throttleMail } from "../auth/throttle";
import { assertSeatAvailable } from "../billing/seats";
import type { Viewer } from "../auth/viewer";
import { db, type Tx } from "../db";
import { env } from "../env";
import { AppError } from "../errors";
import { sendMail } from "../mail";
import { hashToken } from "../tokens";
import { assertEmailVerified, emailSchema } from "../users";

const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
export const roleSchema = z.enum(["owner", "admin", "member", "billing"]);

export function listMembers(viewer: Viewer) {
  assertCan(viewer.role, "members:read");
  return db().membership.findMany({
    where: { orgId: viewer.orgId },
    orderBy: { id: "asc" },
    select: { role: true, createdAt: true, user: { select: { id: true, email: true, name: true } } },
  });
}

// With Clerk, memberships are Clerk's (mirrored into ours on each session): the functions that
// change them here refuse, as the next mirrored session would undo their work.
const MEMBERSHIPS = "members and invitations";

/**
 * Invites someone by email; the link (also emailed) is valid for a week. The inviter must have
 * verified their own address, and invitations are limited per inviter and per address.
 */
export async function inviteMember(viewer: Viewer, input: { email: string; role: Role }) {
  assertManagedHere(MEMBERSHIPS);
  assertCan(viewer.role, "members:invite");
  const email = emailSchema.parse(input.email);
  const role = roleSchema.parse(input.role);
  if (!canAssignRole(viewer.role, role)) throw new AppError("forbidden", `your role (${viewer.role}) may not invite an ${role}`);
  await assertEmailVerified(viewer.userId, "invite members");
  const already = await db().membership.findFirst({ where: { orgId: viewer.orgId, user: { email } }, select: { id: true } });
  if (already) throw new AppError("conflict", `${email} is already a member`);
  await throttleMail("invitation", `user-${viewer.userId}`, email);
  const token = randomBytes(32).toString("base64url");
  const invitation = await db().$transaction(async (tx) => {
    await assertSeatAvailable(tx, viewer.orgId, { countPendingInvitations: true });
    const created = await tx.invitation.create({
      data: { orgId: viewer.orgId, email, role, tokenHash: hashToken(token), invitedById: viewer.userId, expiresAt: new Date(Date.now() + INVITATION_TTL_MS) },
      select: { id: true, org: { select: { name: true } } },
    });
    await audit(viewer, { action: "member.invite", targetType: "invitation", targetId: created.id, data: { email, role } }, tx);
    return created;
  });
  const url = `${env().APP_URL}/invitations/${token}`;
  await sendMail({
    to: email,
    subject: `You are invited to ${invitation.org.name} on errorhub`,
    text: `You have been invited to join ${invitation.org.name} as ${role}.\n\nAccept: ${url}\n\nThe link expires in 7 days.`,
  });
  return { id: invitation.id, url };
}

/** Joins the invitation's org as the signed-in user, whose email must be the one invited. */
export async function acceptInvitation(userId: number, token: string) {
  assertManagedHere(MEMBERSHIPS);
  return db().$transaction(async (tx) => {
    const invitation = await tx.invitation.findUnique({ where: { tokenHash: hashToken(token) } });
    if (!invitation || invitation.acceptedAt || invitation.expiresAt < new Date()) {
      throw new AppError("not_found", "this invitation is invalid, used or expired");
    }
    const user = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { email: true } });
    if (user.email !== invitation.email) throw new AppError("forbidden", `this invitation is for ${invitation.email}`);
    const member = await tx.membership.findUnique({ where: { orgId_userId: { orgId: invitation.orgId, userId } }, select: { id: true } });
    if (!member) await assertSeatAvailable(tx, invitation.orgId, { countPendingInvitations: false });
    await tx.membership.upsert({
      where: { orgId_userId: { orgId: invitation.orgId, userId } },
      create: { orgId: invitation.orgId, userId, role: invitation.role },
      update: {},
    });
    await tx.invitation.update({ where: { id: invitation.id }, data: { acceptedAt: new Date() } });
    await audit({ userId, orgId: invitation.orgId }, { action: "member.join", targetType: "user", targetId: userId, data: { role: invitation.role } }, tx);
    return tx.organization.findUniqueOrThrow({ where: { id: invitation.orgId }, select: { id: true, slug: true } });
  });
}

/** Changes a member's role. Only owners grant or take away ownership; an org keeps an owner. */
export async function changeRole(viewer: Viewer, memberUserId: number, role: Role): Promise<void> {
  assertManagedHere(MEMBERSHIPS);
  assertCan(viewer.role, "members:update");
  const next = roleSchema.parse(role);
  await db().$transaction(async (tx) => {
    const member = await lockedMembership(tx, viewer.orgId, memberUserId);
    if (!canAssignRole(viewer.role, next) || (member.role === "owner" && viewer.role !== "owner")) {
      throw new AppError("forbidden", "only an owner may change ownership");
    }
    if (member.role === "owner" && next !== "owner") await assertAnotherOwner(tx, viewer.orgId, memberUserId);
    await tx.membership.update({ where: { id: member.id }, data: { role: next } });
    await audit(viewer, { action: "member.role_change", targetType: "user", targetId: memberUserId, data: { from: member.role, to: next } }, tx);
  });
}

/** Removes a member (or, for oneself, leaves). Admins cannot remove owners; the last owner stays. */
export async function removeMember(viewer: Viewer, memberUserId: number): Promise<void> {
  assertManagedHere(MEMBERSHIPS);
  const leaving = memberUserId === viewer.userId;
  if (!leaving) assertCan(viewer.role, "members:remove");
  await db().$transaction(async (tx) => {
    const member = await lockedMembership(tx, viewer.orgId, memberUserId);
    if (!leaving && member.role === "owner" && viewer.role !== "owner") throw new AppError("forbidden", "only an owner may remove an owner");
    if (member.role === "owner") await assertAnotherOwner(tx, viewer.orgId, memberUserId);
    await tx.membership.delete({ where: { id: member.id } });
    await tx.apiToken.updateMany({ where: { orgId: viewer.orgId, userId: memberUserId, revokedAt: null }, data: { revokedAt: new Date() } });
    await audit(viewer, { action: leaving ? "member.leave" : "member.remove", targetType: "user", targetId: memberUserId }, tx);
  });
}

/** Makes another member the owner; the current owner stays on as admin. */
export async function transferOwnership(viewer: Viewer, toUserId: number): Promise<void> {
  assertManagedHere(MEMBERSHIPS);
  if (viewer.role !== "owner") throw new AppError("forbidden", "only an owner may transfer ownership");
  await db().$transaction(async (tx) => {
    const target = await lockedMembership(tx, viewer.orgId, toUserId);
    await tx.membership.update({ where: { id: target.id }, data: { role: "owner" } });
    await tx.membership.update({ where: { orgId_userId: { orgId: viewer.orgId, userId: viewer.userId } }, data: { role: "admin" } });
    await audit(viewer, { action: "org.transfer_ownership", targetType: "user", targetId: toUserId }, tx);
  });
}

// Locks the org's memberships so two concurrent changes cannot both remove "the other" owner.
async function lockedMembership(tx: Tx, orgId: number, userId: number) {
  await tx.$queryRaw`select id from memberships where org_id = ${orgId} for update`;
  const member = await tx.membership.findUnique({ where: { orgId_userId: { orgId, userId } }, select: { id: true, role: true } });
  if (!member) throw new AppError("not_found", "no such member");
  return member;
}

async function assertAnotherOwner(tx: Tx, orgId: number, exceptUserId: number): Promise<void> {
  const owners = await tx.membership.count({ where: { orgId, role: "owner", userId: { not: exceptUserId } } });
  if (owners === 0) throw new AppError("conflict", "an organization must keep an owner: make someone else owner first");
}
