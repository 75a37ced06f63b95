import { describe, expect, it } from "vitest";
import { listAuditLog } from "@/lib/audit";
import type { Viewer } from "@/lib/auth/viewer";
import { viewerForOrg } from "@/lib/auth/viewer";
import { can, PERMISSIONS, type Permission } from "@/lib/auth/permissions";
import { db } from "@/lib/db";
import type { Role } from "@/lib/generated/prisma/enums.ts";
import { createOrganization, updateOrganization } from "@/lib/orgs";
import { acceptInvitation, changeRole, inviteMember, listMembers, removeMember, transferOwnership } from "@/lib/members";
import { authenticateApiToken, createApiTokenFor, listApiTokens, revokeApiToken } from "@/lib/tokens";
import { createOrgWithProject } from "../support/factories";

async function addMember(orgId: number, role: Role) {
  const user = await db().user.create({ data: { email: `${role}-${Math.random().toString(36).slice(2)}@example.com`, emailVerifiedAt: new Date() } });
  await db().membership.create({ data: { orgId, userId: user.id, role } });
  return { user, viewer: { userId: user.id, orgId, role } satisfies Viewer };
}

async function orgWithRoles() {
  const { org, user } = await createOrgWithProject();
  const owner: Viewer = { userId: user.id, orgId: org.id, role: "owner" };
  return { org, owner, admin: await addMember(org.id, "admin"), member: await addMember(org.id, "member"), billing: await addMember(org.id, "billing") };
}

const tokenOf = (url: string) => url.split("/").at(-1)!;

describe("permissions matrix", () => {
  it("grants each permission to exactly the roles listed, and refuses the others", () => {
    const roles: Role[] = ["owner", "admin", "member", "billing"];
    for (const [permission, allowed] of Object.entries(PERMISSIONS) as [Permission, readonly Role[]][]) {
      for (const role of roles) expect(can(role, permission), `${role} ${permission}`).toBe(allowed.includes(role));
    }
    expect(can("member", "projects:create")).toBe(false);
    expect(can("billing", "billing:manage")).toBe(true);
    expect(can("admin", "org:delete")).toBe(false);
  });
});

describe("invitations", () => {
  it("invites by link, the invited user joins with the role, and it is in the audit log", async () => {
    const { org, owner } = await orgWithRoles();
    const invitee = await db().user.create({ data: { email: `new-${Date.now()}@example.com` } });
    const { url } = await inviteMember(owner, { email: invitee.email, role: "member" });
    expect(url).toMatch(/\/invitations\/[\w-]{43}$/);
    const joined = await acceptInvitation(invitee.id, tokenOf(url));
    expect(joined.id).toBe(org.id);
    expect(await viewerForOrg(invitee.id, org.slug)).toEqual({ userId: invitee.id, orgId: org.id, role: "member" });
    await expect(acceptInvitation(invitee.id, tokenOf(url))).rejects.toThrow(/invalid, used or expired/);
    const log = await listAuditLog(owner);
    expect(log.map((e) => e.action)).toEqual(["member.join", "member.invite"]);
  });

  it("refuses a wrong email, an expired link, and members or admins inviting above their role", async () => {
    const { owner, admin, member } = await orgWithRoles();
    const someone = await db().user.create({ data: { email: `someone-${Date.now()}@example.com` } });
    const { url, id } = await inviteMember(owner, { email: `other-${Date.now()}@example.com`, role: "member" });
    await expect(acceptInvitation(someone.id, tokenOf(url))).rejects.toThrow(/this invitation is for/);
    await db().invitation.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await expect(acceptInvitation(someone.id, tokenOf(url))).rejects.toThrow(/expired/);
    await expect(inviteMember(member.viewer, { email: "x@example.com", role: "member" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(inviteMember(admin.viewer, { email: "y@example.com", role: "owner" })).rejects.toMatchObject({ code: "forbidden" });
  });
});

describe("roles and removal", () => {
  it("lets owners and admins change roles, but only owners touch ownership", async () => {
    const { owner, admin, member } = await orgWithRoles();
    await changeRole(admin.viewer, member.user.id, "billing");
    await expect(changeRole(admin.viewer, member.user.id, "owner")).rejects.toMatchObject({ code: "forbidden" });
    await expect(changeRole(admin.viewer, owner.userId, "member")).rejects.toMatchObject({ code: "forbidden" });
    await expect(changeRole(member.viewer, admin.user.id, "member")).rejects.toMatchObject({ code: "forbidden" });
    await changeRole(owner, member.user.id, "owner");
    const roles = Object.fromEntries((await listMembers(owner)).map((m) => [m.user.id, m.role]));
    expect(roles[member.user.id]).toBe("owner");
  });

  it("always keeps an owner", async () => {
    const { owner, admin } = await orgWithRoles();
    await expect(changeRole(owner, owner.userId, "admin")).rejects.toThrow(/must keep an owner/);
    await expect(removeMember(owner, owner.userId)).rejects.toThrow(/must keep an owner/);
    await transferOwnership(owner, admin.user.id);
    const roles = Object.fromEntries((await listMembers(owner)).map((m) => [m.user.id, m.role]));
    expect(roles).toMatchObject({ [owner.userId]: "admin", [admin.user.id]: "owner" });
    await removeMember({ ...owner, role: "admin" }, owner.userId); // leaving is now allowed
    expect(await viewerForOrg(owner.userId, (await db().organization.findUniqueOrThrow({ where: { id: owner.orgId } })).slug)).toBeNull();
  });

  it("removes a member, revoking their tokens; admins cannot remove owners", async () => {
    const { owner, admin, member } = await orgWithRoles();
    const { token } = await createApiTokenFor(member.viewer, { name: "ci", scopes: ["event:read"] });
    await expect(removeMember(admin.viewer, owner.userId)).rejects.toMatchObject({ code: "forbidden" });
    await removeMember(admin.viewer, member.user.id);
    expect(await authenticateApiToken(token)).toBeNull();
    expect((await listAuditLog(owner)).map((e) => e.action)).toContain("member.remove");
    await expect(listAuditLog(member.viewer)).rejects.toMatchObject({ code: "forbidden" });
  });
});

describe("API tokens", () => {
  it("are shown once, stored hashed, scoped, revocable, and record when they were last used", async () => {
    const { owner, member } = await orgWithRoles();
    const { id, token } = await createApiTokenFor(owner, { name: "deploys", scopes: ["project:read", "event:read"] });
    const stored = await db().apiToken.findUniqueOrThrow({ where: { id } });
    expect(stored.tokenHash).not.toContain(token);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(await authenticateApiToken(token)).toEqual({ userId: owner.userId, orgId: owner.orgId, role: "owner", scopes: ["project:read", "event:read"] });
    expect((await db().apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt).not.toBeNull();
    expect((await listApiTokens(owner)).map((t) => t.name)).toEqual(["deploys"]);
    expect(await listApiTokens(member.viewer)).toEqual([]);

    await expect(revokeApiToken(member.viewer, id)).rejects.toMatchObject({ code: "not_found" });
    await revokeApiToken(owner, id);
    expect(await authenticateApiToken(token)).toBeNull();
    await expect(createApiTokenFor(member.viewer, { name: "x", scopes: ["org:admin"] })).rejects.toMatchObject({ code: "forbidden" });
    expect((await listAuditLog(owner)).map((e) => e.action).slice(0, 2)).toEqual(["token.revoke", "token.create"]);
  });

  it("never lets another org's viewer see or revoke them", async () => {
    const a = await orgWithRoles();
    const b = await orgWithRoles();
    const { id } = await createApiTokenFor(a.owner, { name: "a", scopes: ["event:read"] });
    expect(await listApiTokens(b.owner)).toEqual([]);
    await expect(revokeApiToken(b.owner, id)).rejects.toMatchObject({ code: "not_found" });
    expect(await listAuditLog(b.owner)).toEqual([]);
  });
});

describe("organizations", () => {
  const unique = () => Math.random().toString(36).slice(2, 8);

  it("creates an org owned by its creator, its slug from the name when none is given", async () => {
    const { owner } = await orgWithRoles();
    const name = `Acme ${unique()} Inc.`;
    const org = await createOrganization(owner.userId, { name });
    expect(org.slug).toBe(name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/-$/, ""));
    expect(await viewerForOrg(owner.userId, org.slug)).toEqual({ userId: owner.userId, orgId: org.id, role: "owner" });
    // The same name again gets the next free slug.
    expect((await createOrganization(owner.userId, { name })).slug).toBe(`${org.slug}-2`);
    const [entry] = await listAuditLog({ ...owner, orgId: org.id });
    expect(entry).toMatchObject({ action: "org.created", actorId: owner.userId });
  });

  it("refuses a taken or reserved slug, and never derives a reserved one", async () => {
    const { owner } = await orgWithRoles();
    const taken = (await createOrganization(owner.userId, { name: `Taken ${unique()}` })).slug;
    await expect(createOrganization(owner.userId, { name: "X", slug: taken })).rejects.toMatchObject({ code: "conflict" });
    await expect(createOrganization(owner.userId, { name: "X", slug: "sign-in" })).rejects.toThrow(/reserved/);
    await expect(createOrganization(owner.userId, { name: "X", slug: "Not A Slug" })).rejects.toThrow();
    expect((await createOrganization(owner.userId, { name: "Pricing" })).slug).toMatch(/^pricing-\d+$/);
  });

  it("owners and admins rename it and change its slug; members and billing may not", async () => {
    const { org, owner, admin, member, billing } = await orgWithRoles();
    for (const viewer of [member.viewer, billing.viewer]) {
      await expect(updateOrganization(viewer, { name: "Nope", slug: org.slug })).rejects.toMatchObject({ code: "forbidden" });
    }
    const slug = `renamed-${unique()}`;
    expect(await updateOrganization(admin.viewer, { name: "Renamed", slug })).toMatchObject({ id: org.id, slug, name: "Renamed" });
    expect(await viewerForOrg(owner.userId, org.slug)).toBeNull();
    expect(await viewerForOrg(owner.userId, slug)).toMatchObject({ orgId: org.id });
    const other = await createOrganization(owner.userId, { name: `Other ${unique()}` });
    await expect(updateOrganization(owner, { name: "Renamed", slug: other.slug })).rejects.toMatchObject({ code: "conflict" });
    const [entry] = await listAuditLog(owner);
    expect(entry).toMatchObject({ action: "org.updated", actorId: admin.user.id, data: { after: { name: "Renamed", slug } } });
  });
});
