import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { applyClerkEvent } from "@/lib/auth/clerk/events";
import {
  type ClerkIdentity,
  deleteClerkOrg,
  deleteClerkUser,
  mirrorSession as mirrorSessionOrNull,
  removeClerkMembership,
  syncClerkMembership,
  syncClerkOrg,
  syncClerkUser,
} from "@/lib/auth/clerk/mirror";
import { db } from "@/lib/db";
import { createApiTokenFor } from "@/lib/tokens";
import { event, membershipPayload, orgPayload, userPayload } from "../support/clerk";

// The mirror of Clerk's users, orgs and memberships, against the real database: what a
// signed-in request (just in time) and Clerk's webhooks write, through the same functions.

const id = () => randomBytes(5).toString("hex");
const now = () => Math.floor(Date.now() / 1000);

function identity(
  user: string,
  org: { id: string; slug: string; role: string } | null,
  email: string | null = `${user}@example.com`,
  issuedAt = now(),
): ClerkIdentity {
  return {
    userId: user,
    email,
    name: null,
    org: org && { id: org.id, slug: org.slug, role: org.role },
    issuedAt,
  };
}

// Every session here is current; stale ones are tested with mirrorSessionOrNull itself.
async function mirrorSession(...args: Parameters<typeof mirrorSessionOrNull>) {
  const mirrored = await mirrorSessionOrNull(...args);
  expect(mirrored).not.toBeNull();
  return mirrored!;
}

async function membersOf(orgClerkId: string) {
  const rows = await db().membership.findMany({
    where: { org: { clerkId: orgClerkId } },
    orderBy: { id: "asc" },
    select: { role: true, user: { select: { clerkId: true } } },
  });
  return Object.fromEntries(rows.map((m) => [m.user.clerkId, m.role]));
}

async function auditOf(orgClerkId: string) {
  const org = await db().organization.findUniqueOrThrow({ where: { clerkId: orgClerkId } });
  const rows = await db().auditLog.findMany({ where: { orgId: org.id }, orderBy: { id: "asc" } });
  return rows.map((r) => ({ action: r.action, actorId: r.actorId, data: r.data }));
}

describe("just-in-time mirroring of a Clerk session", () => {
  it("creates the user, the active org and the membership; the first admin becomes owner", async () => {
    const org = { id: `org_${id()}`, slug: `jit-${id()}`, role: "admin" };
    const alice = `user_a${id()}`;
    const mirrored = await mirrorSession(identity(alice, org));
    expect(mirrored.orgSlug).toBe(org.slug);
    const user = await db().user.findUniqueOrThrow({ where: { clerkId: alice } });
    expect(user).toMatchObject({ id: mirrored.user.id, email: `${alice}@example.com`, passwordHash: null });
    expect(user.emailVerifiedAt).not.toBeNull();
    expect(await db().organization.findUniqueOrThrow({ where: { clerkId: org.id } })).toMatchObject({
      slug: org.slug,
      name: org.slug,
    });
    expect(await membersOf(org.id)).toEqual({ [alice]: "owner" });

    // Another admin and a member of the same org: the owner stays the only owner.
    const bob = `user_b${id()}`;
    const carol = `user_c${id()}`;
    await mirrorSession(identity(bob, org));
    await mirrorSession(identity(carol, { ...org, role: "member" }));
    expect(await membersOf(org.id)).toEqual({ [alice]: "owner", [bob]: "admin", [carol]: "member" });
    const log = await auditOf(org.id);
    expect(log.map((e) => e.action)).toEqual(["org.created", "member.join", "member.join", "member.join"]);
    expect(log[1]).toEqual({
      action: "member.join",
      actorId: null,
      data: { role: "owner", source: "clerk" },
    });
  });

  it("writes nothing when the mirror is already in step (an owner stays owner while Clerk says admin)", async () => {
    const org = { id: `org_${id()}`, slug: `steady-${id()}`, role: "admin" };
    const user = `user_${id()}`;
    await mirrorSession(identity(user, org));
    const before = await db().user.findUniqueOrThrow({ where: { clerkId: user } });
    const auditBefore = await auditOf(org.id);
    for (let i = 0; i < 3; i++) expect((await mirrorSession(identity(user, org))).orgSlug).toBe(org.slug);
    expect(await db().user.findUniqueOrThrow({ where: { clerkId: user } })).toEqual(before);
    expect(await auditOf(org.id)).toEqual(auditBefore);
    expect(await membersOf(org.id)).toEqual({ [user]: "owner" });
  });

  it("follows role changes made in Clerk, and reads v1 and v2 role names alike", async () => {
    const org = { id: `org_${id()}`, slug: `roles-${id()}`, role: "org:admin" };
    const owner = `user_o${id()}`;
    const dev = `user_d${id()}`;
    await mirrorSession(identity(owner, org));
    await mirrorSession(identity(dev, { ...org, role: "member" }));
    await mirrorSession(identity(dev, { ...org, role: "org:billing" }));
    expect(await membersOf(org.id)).toEqual({ [owner]: "owner", [dev]: "billing" });
    await mirrorSession(identity(dev, { ...org, role: "org:some_custom_role" }));
    expect(await membersOf(org.id)).toEqual({ [owner]: "owner", [dev]: "member" });
    const changes = (await auditOf(org.id)).filter((e) => e.action === "member.role_change");
    expect(changes.map((e) => e.data)).toEqual([
      { from: "member", to: "billing", source: "clerk" },
      { from: "billing", to: "member", source: "clerk" },
    ]);
  });

  it("keeps an owner: demoting the last owner promotes the longest-standing admin, or keeps the owner when there is none", async () => {
    const org = { id: `org_${id()}`, slug: `keep-${id()}`, role: "admin" };
    const [first, second, third] = [`user_1${id()}`, `user_2${id()}`, `user_3${id()}`];
    await mirrorSession(identity(first, org));
    await mirrorSession(identity(second, org));
    await mirrorSession(identity(third, org));
    await mirrorSession(identity(first, { ...org, role: "member" }));
    expect(await membersOf(org.id)).toEqual({ [first]: "member", [second]: "owner", [third]: "admin" });

    const lone = { id: `org_${id()}`, slug: `lone-${id()}`, role: "admin" };
    const solo = `user_s${id()}`;
    await mirrorSession(identity(solo, lone));
    await mirrorSession(identity(solo, { ...lone, role: "member" }));
    expect(await membersOf(lone.id)).toEqual({ [solo]: "owner" });
  });

  it("mirrors a user without an active org, and fetches the email when the token has none", async () => {
    const user = `user_n${id()}`;
    const looked: string[] = [];
    const mirrored = await mirrorSession(identity(user, null, null), async (clerkId) => {
      looked.push(clerkId);
      return { email: `Looked-Up-${user}@Example.com`, name: "Looked Up" };
    });
    expect(looked).toEqual([user]);
    expect(mirrored).toMatchObject({
      orgSlug: null,
      user: { email: `looked-up-${user}@example.com`, name: "Looked Up" },
    });
    // Known users are not looked up again.
    await mirrorSession(identity(user, null, null), async () => {
      throw new Error("must not be called");
    });
  });

  it("uses a placeholder address when no email can be had, replaced by the one user.created brings", async () => {
    const user = `user_p${id()}`;
    const mirrored = await mirrorSession(identity(user, null, null), async () => null);
    expect(mirrored.user.email).toBe(`${user}@clerk.invalid`);
    await syncClerkUser({
      clerkId: user,
      email: `${user}@example.com`,
      emailVerified: true,
      name: "Pat Place",
    });
    expect(await db().user.findUniqueOrThrow({ where: { clerkId: user } })).toMatchObject({
      id: mirrored.user.id,
      email: `${user}@example.com`,
      name: "Pat Place",
    });
  });

  it("creates a user, org and membership once when many requests arrive at the same moment", async () => {
    const org = { id: `org_${id()}`, slug: `race-${id()}`, role: "admin" };
    const users = [`user_r1${id()}`, `user_r2${id()}`];
    const results = await Promise.all(
      users.flatMap((u) => Array.from({ length: 4 }, () => mirrorSession(identity(u, org)))),
    );
    expect(new Set(results.map((r) => r.orgSlug))).toEqual(new Set([org.slug]));
    expect(await db().user.count({ where: { clerkId: { in: users } } })).toBe(2);
    expect(await db().organization.count({ where: { clerkId: org.id } })).toBe(1);
    const roles = Object.values(await membersOf(org.id)).sort();
    expect(roles).toEqual(["admin", "owner"]);
  });
});

describe("matching Clerk users to existing accounts", () => {
  it("takes over a built-in account with the same verified email, and frees an address a stale Clerk user held", async () => {
    const email = `linked-${id()}@example.com`;
    const builtIn = await db().user.create({ data: { email, passwordHash: "x" } });
    const clerkUser = `user_l${id()}`;
    const mirrored = await mirrorSession(identity(clerkUser, null, email));
    expect(mirrored.user.id).toBe(builtIn.id);
    expect(await db().user.findUniqueOrThrow({ where: { id: builtIn.id } })).toMatchObject({
      clerkId: clerkUser,
      email,
    });

    // Clerk keeps verified addresses unique: a new Clerk user with it means the old one lost it.
    const successor = `user_l2${id()}`;
    const next = await mirrorSession(identity(successor, null, email));
    expect(next.user.id).not.toBe(builtIn.id);
    expect(next.user.email).toBe(email);
    expect((await db().user.findUniqueOrThrow({ where: { id: builtIn.id } })).email).toBe(
      `${clerkUser}@clerk.invalid`,
    );
  });

  it("never takes over an account, nor an address, on an unverified email", async () => {
    const email = `unverified-${id()}@example.com`;
    const builtIn = await db().user.create({ data: { email } });
    const clerkUser = `user_u${id()}`;
    const mirrored = await syncClerkUser({ clerkId: clerkUser, email, emailVerified: false, name: null });
    expect(mirrored.id).not.toBe(builtIn.id);
    expect(mirrored.email).toBe(`${clerkUser}@clerk.invalid`);
    expect(await db().user.findUniqueOrThrow({ where: { id: builtIn.id } })).toMatchObject({
      email,
      clerkId: null,
    });
  });
});

describe("orgs mirrored from Clerk", () => {
  it("makes the slug unique and clear of the app's routes, and follows renames", async () => {
    const taken = `taken-${id()}`;
    await db().organization.create({ data: { slug: taken, name: "Built-in org" } });
    const org = await syncClerkOrg({ clerkId: `org_${id()}`, slug: taken, name: "Clerk org" });
    expect(org.slug).toBe(`${taken}-2`);
    const reserved = await syncClerkOrg({ clerkId: `org_${id()}`, slug: "sign-in", name: "Sneaky" });
    expect(reserved.slug).toBe("sign-in-2");

    // The same Clerk slug again is no rename ("taken-2" still follows "taken"); a new one is.
    const clerkId = (await db().organization.findUniqueOrThrow({ where: { id: org.id } })).clerkId!;
    expect((await syncClerkOrg({ clerkId, slug: taken, name: "Clerk org" })).slug).toBe(`${taken}-2`);
    const renamed = await syncClerkOrg({ clerkId, slug: `renamed-${id()}`, name: "Renamed" });
    expect(await db().organization.findUniqueOrThrow({ where: { id: org.id } })).toMatchObject({
      slug: renamed.slug,
      name: "Renamed",
    });
    const log = await auditOf(clerkId);
    expect(log.map((e) => e.action)).toEqual(["org.created", "org.updated"]);
  });

  it("removes members (revoking their tokens) and deleted users, keeping an owner, and deletes deleted orgs", async () => {
    const org = orgPayload(`org_${id()}`, `gone-${id()}`, "Gone Inc");
    const [owner, admin, member] = [`user_o${id()}`, `user_a${id()}`, `user_m${id()}`];
    for (const [user, role] of [
      [owner, "org:admin"],
      [admin, "org:admin"],
      [member, "org:member"],
    ] as const) {
      await syncClerkMembership({
        org: { clerkId: org.id, slug: org.slug, name: org.name },
        user: { clerkId: user, email: `${user}@example.com`, emailVerified: false, name: null },
        role,
      });
    }
    expect(await membersOf(org.id)).toEqual({ [owner]: "owner", [admin]: "admin", [member]: "member" });
    const orgRow = await db().organization.findUniqueOrThrow({ where: { clerkId: org.id } });
    const ownerRow = await db().user.findUniqueOrThrow({ where: { clerkId: owner } });
    const { id: tokenId } = await createApiTokenFor(
      { userId: ownerRow.id, orgId: orgRow.id, role: "owner" },
      { name: "ci", scopes: ["org:read"] },
    );

    expect(await removeClerkMembership(org.id, owner)).toBe(true);
    expect(await removeClerkMembership(org.id, owner)).toBe(false); // a replay changes nothing
    expect(await membersOf(org.id)).toEqual({ [admin]: "owner", [member]: "member" });
    expect((await db().apiToken.findUniqueOrThrow({ where: { id: tokenId } })).revokedAt).not.toBeNull();

    expect(await deleteClerkUser(admin)).toBe(true);
    expect(await deleteClerkUser(admin)).toBe(false);
    expect(await db().user.findUnique({ where: { clerkId: admin } })).toBeNull();
    expect(await membersOf(org.id)).toEqual({ [member]: "member" });

    expect(await deleteClerkOrg(org.id)).toBe(true);
    expect(await db().organization.findUnique({ where: { clerkId: org.id } })).toBeNull();
    expect(await db().user.findUnique({ where: { clerkId: member } })).not.toBeNull();
    expect(await deleteClerkOrg(org.id)).toBe(false);
  });
});

describe("Clerk webhook events", () => {
  it("apply idempotently through the same mirror, and unknown types are ignored", async () => {
    const user = `user_w${id()}`;
    const org = orgPayload(`org_${id()}`, `hooks-${id()}`, "Hooks Ltd");
    const events = [
      event("user.created", userPayload(user, `${user}@example.com`, { first: "Wendy", last: "Hook" })),
      event("organization.created", org),
      event(
        "organizationMembership.created",
        membershipPayload(org, user, `${user}@example.com`, "org:admin"),
      ),
    ];
    for (const e of events) expect(await applyClerkEvent(e as never)).toBe(true);
    const snapshot = async () => ({
      users: await db().user.findMany({ where: { clerkId: user } }),
      orgs: await db().organization.findMany({ where: { clerkId: org.id } }),
      members: await membersOf(org.id),
      audit: await auditOf(org.id),
    });
    const first = await snapshot();
    expect(first.users).toMatchObject([{ email: `${user}@example.com`, name: "Wendy Hook" }]);
    expect(first.orgs).toMatchObject([{ slug: org.slug, name: "Hooks Ltd" }]);
    expect(first.members).toEqual({ [user]: "owner" });
    for (const e of events) await applyClerkEvent(e as never);
    expect(await snapshot()).toEqual(first);
    expect(await applyClerkEvent({ type: "session.created", data: { id: "sess_x" } } as never)).toBe(false);
  });
});

describe("session tokens older than a change Clerk reported", () => {
  it("do not put back a removed member, nor a demoted admin's role, nor a deleted user", async () => {
    const org = orgPayload(`org_${id()}`, `stale-${id()}`, "Stale Co");
    const [owner, admin] = [`user_o${id()}`, `user_a${id()}`];
    const asAdmin = { id: org.id, slug: org.slug, role: "admin" };
    const before = now() - 30; // tokens issued before the changes below
    await mirrorSession(identity(owner, asAdmin, undefined, before));
    await mirrorSession(identity(admin, asAdmin, undefined, before));

    // Clerk demotes the admin; their token from before still says admin.
    const changedAt = Date.now() - 10_000;
    expect(
      await applyClerkEvent({
        ...event(
          "organizationMembership.updated",
          membershipPayload(org, admin, `${admin}@example.com`, "org:member"),
        ),
        timestamp: changedAt,
      } as never),
    ).toBe(true);
    expect((await mirrorSession(identity(admin, asAdmin, undefined, before))).orgSlug).toBe(org.slug);
    expect(await membersOf(org.id)).toEqual({ [owner]: "owner", [admin]: "member" });
    // A token issued after the change is applied (Clerk's state again, since a newer token says so).
    await mirrorSession(identity(admin, asAdmin));
    expect(await membersOf(org.id)).toEqual({ [owner]: "owner", [admin]: "admin" });

    // An older membership event arriving late (a Svix retry) is skipped.
    const late = {
      ...event(
        "organizationMembership.deleted",
        membershipPayload(org, admin, `${admin}@example.com`, "org:admin"),
      ),
      timestamp: changedAt - 5000,
    };
    expect(await applyClerkEvent(late as never)).toBe(false);
    expect(await membersOf(org.id)).toEqual({ [owner]: "owner", [admin]: "admin" });

    // Removed in Clerk: the old token does not bring the membership back.
    const removal = {
      ...event(
        "organizationMembership.deleted",
        membershipPayload(org, admin, `${admin}@example.com`, "org:admin"),
      ),
      timestamp: Date.now() - 1000,
    };
    expect(await applyClerkEvent(removal as never)).toBe(true);
    expect((await mirrorSession(identity(admin, asAdmin, undefined, before))).orgSlug).toBeNull();
    expect(await membersOf(org.id)).toEqual({ [owner]: "owner" });

    // Deleted in Clerk: the old token signs nobody in, and creates nobody.
    await applyClerkEvent({
      ...event("user.deleted", { object: "user", id: admin, deleted: true }),
      timestamp: Date.now() - 1000,
    } as never);
    expect(await db().user.findUnique({ where: { clerkId: admin } })).toBeNull();
    expect(await mirrorSessionOrNull(identity(admin, asAdmin, undefined, before))).toBeNull();
    expect(await db().user.findUnique({ where: { clerkId: admin } })).toBeNull();

    // Org deleted in Clerk: an old token of its owner does not recreate it.
    await applyClerkEvent({
      ...event("organization.deleted", { object: "organization", id: org.id, deleted: true }),
      timestamp: Date.now() - 1000,
    } as never);
    expect((await mirrorSession(identity(owner, asAdmin, undefined, before))).orgSlug).toBeNull();
    expect(await db().organization.findUnique({ where: { clerkId: org.id } })).toBeNull();
  });
});
