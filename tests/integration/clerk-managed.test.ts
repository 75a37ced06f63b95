// Clerk configured before lib/ reads the environment.
import "../support/clerk-configured";
import { describe, expect, it } from "vitest";
import type { Viewer } from "@/lib/auth/viewer";
import { createOrganization, updateOrganization } from "@/lib/orgs";
import { createOrgWithProject } from "../support/factories";

// With Clerk configured, organizations are Clerk's: our own screens' changes would be undone by
// the next mirrored session, so lib refuses them (the pages show Clerk's components instead).
describe("with Clerk configured", () => {
  it("refuses to create, rename or re-slug an organization here", async () => {
    const { org, user } = await createOrgWithProject();
    const owner: Viewer = { userId: user.id, orgId: org.id, role: "owner" };
    await expect(createOrganization(user.id, { name: "Elsewhere" })).rejects.toThrow(/managed in Clerk/);
    await expect(updateOrganization(owner, { name: "Renamed", slug: "renamed-here" })).rejects.toThrow(/managed in Clerk/);
  });

  it("refuses the built-in member management: invitations, role changes, removal, ownership transfer", async () => {
    // Imported here: lib/members loads the logger, which reads env() before beforeAll has run.
    const { acceptInvitation, changeRole, inviteMember, removeMember, transferOwnership } = await import("@/lib/members");
    const { db } = await import("@/lib/db");
    const { org, user } = await createOrgWithProject();
    const owner: Viewer = { userId: user.id, orgId: org.id, role: "owner" };
    const other = await db().user.create({ data: { email: `clerk-member-${org.id}@example.com`, emailVerifiedAt: new Date() } });
    await db().membership.create({ data: { orgId: org.id, userId: other.id, role: "member" } });
    await expect(inviteMember(owner, { email: `invitee-${org.id}@example.com`, role: "member" })).rejects.toThrow(/managed in Clerk/);
    await expect(acceptInvitation(other.id, "any-token")).rejects.toThrow(/managed in Clerk/);
    await expect(changeRole(owner, other.id, "admin")).rejects.toThrow(/managed in Clerk/);
    await expect(removeMember(owner, other.id)).rejects.toThrow(/managed in Clerk/);
    await expect(transferOwnership(owner, other.id)).rejects.toThrow(/managed in Clerk/);
    const memberships = await db().membership.findMany({ where: { orgId: org.id }, orderBy: { id: "asc" }, select: { userId: true, role: true } });
    expect(memberships).toEqual([{ userId: user.id, role: "owner" }, { userId: other.id, role: "member" }]);
    expect(await db().invitation.count({ where: { orgId: org.id } })).toBe(0);
  });
});
