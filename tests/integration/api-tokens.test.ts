import { describe, expect, it } from "vitest";
import { listAuditLog } from "@/lib/audit";
import type { Viewer } from "@/lib/auth/viewer";
import { db } from "@/lib/db";
import type { Role } from "@/lib/generated/prisma/enums.ts";
import { authenticateApiToken, createApiTokenFor, expiryFromChoice, listApiTokens, revokeApiToken } from "@/lib/tokens";
import { callApi } from "../support/api";
import { createOrgWithProject } from "../support/factories";

// API tokens: expiry, and who sees and revokes whose tokens, in two orgs.

async function addMember(orgId: number, role: Role): Promise<Viewer> {
  const user = await db().user.create({
    data: { email: `${role}-${Math.random().toString(36).slice(2)}@example.com`, emailVerifiedAt: new Date() },
  });
  await db().membership.create({ data: { orgId, userId: user.id, role } });
  return { userId: user.id, orgId, role };
}

async function tenant() {
  const { org, user } = await createOrgWithProject();
  const owner: Viewer = { userId: user.id, orgId: org.id, role: "owner" };
  return { org, owner, admin: await addMember(org.id, "admin"), member: await addMember(org.id, "member"), other: await addMember(org.id, "member") };
}

const DAY = 86_400_000;

describe("API token expiry", () => {
  it("is chosen at creation, listed, and refused once past with a 401 that says the token expired", async () => {
    const { org, owner } = await tenant();
    const lasting = await createApiTokenFor(owner, { name: "lasting", scopes: ["org:read"], expiresAt: expiryFromChoice("30") });
    const forever = await createApiTokenFor(owner, { name: "forever", scopes: ["org:read"], expiresAt: expiryFromChoice("never") });
    const listed = await listApiTokens(owner);
    const expiresOf = (name: string) => listed.find((t) => t.name === name)!.expiresAt;
    expect(Math.abs(expiresOf("lasting")!.getTime() - (Date.now() + 30 * DAY))).toBeLessThan(60_000);
    expect(expiresOf("forever")).toBeNull();

    // Sentry's API shape: an ISO date is accepted; a past one is refused.
    const iso = new Date(Date.now() + 5 * DAY).toISOString();
    const viaIso = await createApiTokenFor(owner, { name: "iso", scopes: ["org:read"], expiresAt: iso });
    expect((await db().apiToken.findUniqueOrThrow({ where: { id: viaIso.id } })).expiresAt?.toISOString()).toBe(iso);
    await expect(
      createApiTokenFor(owner, { name: "past", scopes: ["org:read"], expiresAt: new Date(Date.now() - 1000) }),
    ).rejects.toThrow(/expiresAt must be in the future/);

    const before = await callApi("GET", `/api/0/organizations/${org.slug}/`, { token: lasting.token });
    expect(before.status).toBe(200);

    // Time passes: the stored expiry moves into the past.
    const expiredAt = new Date(Date.now() - 1000);
    await db().apiToken.update({ where: { id: lasting.id }, data: { expiresAt: expiredAt } });
    await expect(authenticateApiToken(lasting.token)).rejects.toMatchObject({ code: "unauthorized" });
    const after = await callApi("GET", `/api/0/organizations/${org.slug}/`, { token: lasting.token });
    expect(after.status).toBe(401);
    expect(after.json().detail).toBe(`Token expired at ${expiredAt.toISOString()}; create a new one.`);
    // A token without expiry keeps working; the expired one stays listed until revoked.
    expect((await callApi("GET", `/api/0/organizations/${org.slug}/`, { token: forever.token })).status).toBe(200);
    expect((await listApiTokens(owner)).map((t) => t.name)).toContain("lasting");
  });

  it("maps the settings page's choices to a lifetime, and anything else to none", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(expiryFromChoice("90", now)?.toISOString()).toBe("2026-04-01T00:00:00.000Z");
    expect(expiryFromChoice("365", now)?.toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(expiryFromChoice("never", now)).toBeNull();
    expect(expiryFromChoice("7", now)).toBeNull();
  });
});

describe("members' API tokens", () => {
  it("owners and admins see every member's tokens with their owner and revoke any; members see and revoke only their own", async () => {
    const { owner, admin, member, other } = await tenant();
    const mine = await createApiTokenFor(member, { name: "member-ci", scopes: ["event:read"] });
    const theirs = await createApiTokenFor(other, { name: "other-ci", scopes: ["event:read"] });
    const owners = await createApiTokenFor(owner, { name: "owner-deploys", scopes: ["project:read"] });

    const seenByAdmin = await listApiTokens(admin);
    expect(seenByAdmin.map((t) => t.name).sort()).toEqual(["member-ci", "other-ci", "owner-deploys"]);
    expect(seenByAdmin.find((t) => t.name === "member-ci")!.user.id).toBe(member.userId);
    expect(JSON.stringify(seenByAdmin)).not.toContain(mine.token);
    expect((await listApiTokens(owner)).length).toBe(3);
    expect((await listApiTokens(member)).map((t) => t.name)).toEqual(["member-ci"]);

    // A member cannot touch a colleague's or the owner's token: not found, as if it did not exist.
    await expect(revokeApiToken(member, theirs.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(revokeApiToken(member, owners.id)).rejects.toMatchObject({ code: "not_found" });
    expect(await authenticateApiToken(theirs.token)).not.toBeNull();

    await revokeApiToken(admin, theirs.id);
    expect(await authenticateApiToken(theirs.token)).toBeNull();
    await revokeApiToken(owner, mine.id);
    expect(await authenticateApiToken(mine.token)).toBeNull();
    await revokeApiToken(member, (await createApiTokenFor(member, { name: "own", scopes: ["event:read"] })).id);
    expect(await listApiTokens(member)).toEqual([]);

    const revokes = (await listAuditLog(owner)).filter((e) => e.action === "token.revoke");
    expect(revokes.find((e) => e.targetId === String(theirs.id))?.actorId).toBe(admin.userId);
    expect(revokes.find((e) => e.targetId === String(mine.id))?.actorId).toBe(owner.userId);
  });

  it("never shows or revokes another org's tokens, even for its owner", async () => {
    const a = await tenant();
    const b = await tenant();
    const { id, token } = await createApiTokenFor(a.member, { name: "a-ci", scopes: ["event:read"] });
    expect(await listApiTokens(b.owner)).toEqual([]);
    expect(await listApiTokens(b.admin)).toEqual([]);
    await expect(revokeApiToken(b.owner, id)).rejects.toMatchObject({ code: "not_found" });
    await expect(revokeApiToken(b.admin, id)).rejects.toMatchObject({ code: "not_found" });
    expect(await authenticateApiToken(token)).not.toBeNull();
    expect((await listApiTokens(a.owner)).map((t) => t.id)).toEqual([id]);
  });
});
