import { describe, expect, it } from "vitest";
import { requestPasswordReset, resetPassword, signUp as signUpFrom, verifyEmail } from "@/lib/auth/accounts";
import { verifyPassword } from "@/lib/auth/password";
import { signInWithPassword } from "@/lib/auth/sign-in";
import { db } from "@/lib/db";
import { hashToken } from "@/lib/tokens";

// Sign-ups are limited per IP: each one here comes from an address of its own.
let lastOctet = 0;
const signUp = (input: Parameters<typeof signUpFrom>[0]) => signUpFrom(input, { ip: `192.0.2.${++lastOctet}` });

// Links are emailed (or logged without SMTP); tests plant a known token to follow one.
async function plantToken(userId: number, purpose: string, token: string, expiresInMs = 60_000) {
  await db().emailToken.create({ data: { userId, purpose, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + expiresInMs) } });
}

describe("built-in accounts", () => {
  it("signs up a user with their own organization, refusing a taken email", async () => {
    const email = `signup-${Date.now()}@example.com`;
    const account = await signUp({ email, password: "long-enough-1", organization: "Widgets & Co" });
    const org = await db().organization.findUniqueOrThrow({ where: { slug: account.orgSlug }, include: { memberships: true } });
    expect(org.slug).toMatch(/^widgets-co(-\d+)?$/);
    expect(org.memberships).toMatchObject([{ userId: account.userId, role: "owner" }]);
    expect(await db().emailToken.count({ where: { userId: account.userId, purpose: "verify_email" } })).toBe(1);
    await expect(signUp({ email, password: "long-enough-1", organization: "Again" })).rejects.toMatchObject({ code: "conflict" });
    await expect(signUp({ email: "not-an-email", password: "long-enough-1", organization: "X" })).rejects.toThrow();
    await expect(signUp({ email: `short-${Date.now()}@example.com`, password: "short", organization: "X" })).rejects.toThrow(/8 characters/);
  });

  it("gives concurrent sign-ups with the same organization name each a slug of its own", async () => {
    const organization = `Same Name ${Date.now()}`;
    const accounts = await Promise.all(
      Array.from({ length: 4 }, (_, i) => signUp({ email: `same-org-${i}-${Date.now()}@example.com`, password: "long-enough-1", organization })),
    );
    const slugs = accounts.map((a) => a.orgSlug);
    expect(new Set(slugs).size).toBe(4);
    for (const slug of slugs) expect(slug).toMatch(/^same-name-\d+(-\d)?$/);
  });

  it("verifies an email once, and refuses used or expired links", async () => {
    const { userId } = await signUp({ email: `verify-${Date.now()}@example.com`, password: "long-enough-1", organization: "V" });
    await plantToken(userId, "verify_email", `v-${userId}`);
    await verifyEmail(`v-${userId}`);
    expect((await db().user.findUniqueOrThrow({ where: { id: userId } })).emailVerifiedAt).not.toBeNull();
    await expect(verifyEmail(`v-${userId}`)).rejects.toThrow(/invalid, used or expired/);
    await plantToken(userId, "verify_email", `old-${userId}`, -1000);
    await expect(verifyEmail(`old-${userId}`)).rejects.toThrow(/expired/);
  });

  it("resets a password by link, ending every session, and says nothing about unknown emails", async () => {
    const email = `reset-${Date.now()}@example.com`;
    const { userId } = await signUp({ email, password: "first-password", organization: "R" });
    const before = await signInWithPassword({ email, password: "first-password", ip: "198.51.100.1" });
    expect(before.ok).toBe(true);
    await requestPasswordReset(email, { ip: "198.51.100.2" });
    await requestPasswordReset("nobody-here@example.com", { ip: "198.51.100.2" }); // no error, no hint
    expect(await db().emailToken.count({ where: { userId, purpose: "reset_password" } })).toBe(1);
    await plantToken(userId, "reset_password", `r-${userId}`);
    await expect(resetPassword(`r-${userId}`, "short")).rejects.toThrow(/8 characters/);
    await resetPassword(`r-${userId}`, "second-password");
    const user = await db().user.findUniqueOrThrow({ where: { id: userId } });
    expect(await verifyPassword(user.passwordHash!, "second-password")).toBe(true);
    expect(await db().session.count({ where: { userId } })).toBe(0);
    await expect(resetPassword(`r-${userId}`, "third-password")).rejects.toThrow(/used/);
    // A reset link cannot be used to verify an email, nor the other way round.
    await plantToken(userId, "verify_email", `x-${userId}`);
    await expect(resetPassword(`x-${userId}`, "fourth-password")).rejects.toThrow(/invalid/);
  });
});
