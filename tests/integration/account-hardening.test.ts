import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { requestPasswordReset, resetPassword, signUp, verifyEmail } from "@/lib/auth/accounts";
import { createSession, sessionCookie, userForSession } from "@/lib/auth/sessions";
import { type SignInResult, signInWithPassword } from "@/lib/auth/sign-in";
import { FREE_SIGN_IN_ATTEMPTS, MAX_SIGN_INS_PER_IP, throttleSubject } from "@/lib/auth/throttle";
import type { Viewer } from "@/lib/auth/viewer";
import { clientIp } from "@/lib/client-ip";
import { db } from "@/lib/db";
import { inviteMember } from "@/lib/members";
import { authenticateApiToken, unsafeCreateApiToken, createApiTokenFor, hashToken } from "@/lib/tokens";
import { upsertUserWithPassword } from "@/lib/users";
import { PEER_ADDRESS_HEADER, setPeerAddress } from "@/lib/web-peer";
import { createOrgWithProject } from "../support/factories";
import { NODE, WITH_TSX, run } from "../support/processes";

const unique = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const errorOf = (result: SignInResult) => (result.ok ? undefined : result.error);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function accountWithPassword(password: string) {
  const email = `owner-${unique()}@example.com`;
  await upsertUserWithPassword({ email, password });
  return email;
}

describe("sign-in throttling", () => {
  it("makes one (account, IP) pair wait longer after each failure, while the owner signs in from another IP", async () => {
    const email = await accountWithPassword("the-right-password");
    const attacker = "203.0.113.10";
    const guess = () => signInWithPassword({ email, password: "guess", ip: attacker });
    for (let i = 0; i < FREE_SIGN_IN_ATTEMPTS - 1; i++) expect(await guess()).toEqual({ ok: false, error: "Wrong email or password." });
    // Sent together, reserved in call order (one Redis connection): the last free attempt is
    // checked and starts a 1 s wait, which refuses the next one, the right password included.
    expect(await Promise.all([guess(), signInWithPassword({ email, password: "the-right-password", ip: attacker })])).toEqual([
      { ok: false, error: "Wrong email or password." },
      { ok: false, error: "Too many sign-in attempts. Try again in 1 second." },
    ]);
    // No global lock: the owner, elsewhere, signs in at once.
    expect((await signInWithPassword({ email, password: "the-right-password", ip: "198.51.100.20" })).ok).toBe(true);

    await sleep(1100);
    expect(await Promise.all([guess(), guess()])).toEqual([
      { ok: false, error: "Wrong email or password." },
      { ok: false, error: "Too many sign-in attempts. Try again in 2 seconds." },
    ]);

    // A success after the wait forgets the pair's failures.
    await sleep(2100);
    expect((await signInWithPassword({ email, password: "the-right-password", ip: attacker })).ok).toBe(true);
    for (let i = 0; i < FREE_SIGN_IN_ATTEMPTS; i++) expect(errorOf(await guess())).toBe("Wrong email or password.");
  });

  it("lets no more than the free attempts through when guesses arrive all at once", async () => {
    const email = await accountWithPassword("the-right-password");
    const results = await Promise.all(Array.from({ length: 20 }, () => signInWithPassword({ email, password: "guess", ip: "203.0.113.11" })));
    expect(results.filter((r) => errorOf(r) === "Wrong email or password.")).toHaveLength(FREE_SIGN_IN_ATTEMPTS);
    expect(results.filter((r) => errorOf(r)?.startsWith("Too many sign-in attempts"))).toHaveLength(20 - FREE_SIGN_IN_ATTEMPTS);
  });

  it("limits one IP across accounts, however the client rotates X-Forwarded-For behind a trusted proxy", async () => {
    // The proxy appends the address it saw last; the entries before it are the client's to choose.
    const viaProxy = (i: number) => clientIp(`10.${i}.0.1, 172.16.${i}.9, 203.0.113.12`, "10.0.0.2", true);
    for (let i = 0; i < MAX_SIGN_INS_PER_IP; i++) {
      const answer = await signInWithPassword({ email: `nobody-${i}-${unique()}@example.com`, password: "guess", ip: viaProxy(i) });
      expect(errorOf(answer)).toBe("Wrong email or password.");
    }
    const refused = await signInWithPassword({ email: `nobody-${unique()}@example.com`, password: "guess", ip: viaProxy(999) });
    expect(errorOf(refused)).toMatch(/^Too many sign-in attempts\. Try again in \d+ minutes\.$/);
    // Another client of the same proxy is not affected.
    const email = await accountWithPassword("the-right-password");
    expect((await signInWithPassword({ email, password: "the-right-password", ip: clientIp("203.0.113.13", "10.0.0.2", true) })).ok).toBe(true);
  });

  it("takes the client IP from X-Forwarded-For only with TRUST_PROXY, and counts an IPv6 client by its /64", () => {
    expect(clientIp("198.51.100.1, 203.0.113.5", "10.0.0.2", true)).toBe("203.0.113.5");
    expect(clientIp(["198.51.100.1", "203.0.113.6"], "10.0.0.2", true)).toBe("203.0.113.6");
    expect(clientIp(undefined, "::ffff:10.0.0.2", true)).toBe("10.0.0.2");
    expect(clientIp("198.51.100.1, 203.0.113.5", "::ffff:192.0.2.7", false)).toBe("192.0.2.7");
    expect(throttleSubject("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(throttleSubject("2001:db8:1:2:ffff:ffff:ffff:fffe")).toBe("2001:db8:1:2::/64");
    expect(throttleSubject("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(throttleSubject("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(throttleSubject("192.0.2.1")).toBe("192.0.2.1");
    expect(throttleSubject("")).toBe("unknown");
    expect(throttleSubject("x".repeat(500))).toHaveLength(64);
  });

  it("hands the app the socket's address in a header the client cannot set (workers/web.ts)", async () => {
    const server = createServer((req, res) => {
      setPeerAddress(req);
      res.end(clientIp(req.headers["x-forwarded-for"], String(req.headers[PEER_ADDRESS_HEADER]), false));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      for (const forged of ["6.6.6.6", "7.7.7.7, 8.8.8.8"]) {
        const res = await fetch(url, { headers: { "x-forwarded-for": forged, [PEER_ADDRESS_HEADER]: forged } });
        expect(await res.text()).toBe("127.0.0.1");
      }
    } finally {
      server.close();
    }
  });
});

describe("emails a stranger can make us send", () => {
  it("limits password-reset emails per address and per IP, the same whether or not the account exists", async () => {
    const address = `reset-${unique()}@example.com`;
    for (let i = 0; i < 3; i++) await requestPasswordReset(address, { ip: `198.51.100.${30 + i}` });
    await expect(requestPasswordReset(address, { ip: "198.51.100.40" })).rejects.toMatchObject({ code: "too_many_requests" });
    await expect(requestPasswordReset(address.toUpperCase(), { ip: "198.51.100.41" })).rejects.toMatchObject({ code: "too_many_requests" });

    const ip = "198.51.100.50";
    for (let i = 0; i < 10; i++) await requestPasswordReset(`someone-${i}-${unique()}@example.com`, { ip });
    await expect(requestPasswordReset(`someone-else-${unique()}@example.com`, { ip })).rejects.toMatchObject({ code: "too_many_requests" });
  });

  it("limits sign-ups per IP, creating nothing once refused", async () => {
    const ip = "198.51.100.60";
    for (let i = 0; i < 10; i++) await signUp({ email: `new-${i}-${unique()}@example.com`, password: "long-enough-1", organization: "Org" }, { ip });
    const email = `one-too-many-${unique()}@example.com`;
    await expect(signUp({ email, password: "long-enough-1", organization: "Org" }, { ip })).rejects.toMatchObject({ code: "too_many_requests" });
    expect(await db().user.count({ where: { email } })).toBe(0);
  });

  it("limits invitations to one address", async () => {
    const { org, user } = await createOrgWithProject();
    const owner: Viewer = { userId: user.id, orgId: org.id, role: "owner" };
    const email = `invitee-${unique()}@example.com`;
    for (let i = 0; i < 3; i++) await inviteMember(owner, { email, role: "member" });
    await expect(inviteMember(owner, { email, role: "member" })).rejects.toMatchObject({ code: "too_many_requests" });
  });
});

describe("pre-hijacking: an account made with someone else's address", () => {
  it("cannot create API tokens or invite anyone until the address is verified", async () => {
    const { userId, orgSlug } = await signUp({ email: `unverified-${unique()}@example.com`, password: "long-enough-1", organization: "Org" }, { ip: "198.51.100.70" });
    const org = await db().organization.findUniqueOrThrow({ where: { slug: orgSlug } });
    const viewer: Viewer = { userId, orgId: org.id, role: "owner" };
    await expect(createApiTokenFor(viewer, { name: "ci", scopes: ["event:read"] })).rejects.toMatchObject({
      code: "forbidden",
      message: expect.stringMatching(/verify your email address/),
    });
    await expect(inviteMember(viewer, { email: `friend-${unique()}@example.com`, role: "admin" })).rejects.toMatchObject({ code: "forbidden" });
    expect(await db().apiToken.count({ where: { userId } })).toBe(0);
    expect(await db().invitation.count({ where: { orgId: org.id } })).toBe(0);
  });

  it("loses the squatter's sessions and API tokens when the owner resets the password", async () => {
    const email = `victim-${unique()}@example.com`;
    const { userId, orgSlug } = await signUp({ email, password: "squatter-password", organization: "Squat" }, { ip: "198.51.100.71" });
    const org = await db().organization.findUniqueOrThrow({ where: { slug: orgSlug } });
    const squatterSession = await createSession(userId);
    // A token made before tokens required a verified address.
    const squatterToken = await unsafeCreateApiToken({ userId, orgId: org.id, name: "old", scopes: ["event:read"] });
    expect(await authenticateApiToken(squatterToken.token)).not.toBeNull();

    await db().emailToken.create({ data: { userId, purpose: "reset_password", tokenHash: hashToken(`reset-${userId}`), expiresAt: new Date(Date.now() + 60_000) } });
    await resetPassword(`reset-${userId}`, "owner-password-1");
    expect(await userForSession(squatterSession.token)).toBeNull();
    expect(await authenticateApiToken(squatterToken.token)).toBeNull();
    expect((await db().user.findUniqueOrThrow({ where: { id: userId } })).emailVerifiedAt).not.toBeNull();
  });

  it("on verification keeps the session that confirms and ends every other, revoking the API tokens", async () => {
    const { userId, orgSlug } = await signUp({ email: `verify-${unique()}@example.com`, password: "long-enough-1", organization: "V" }, { ip: "198.51.100.72" });
    const org = await db().organization.findUniqueOrThrow({ where: { slug: orgSlug } });
    const [confirming, other] = [await createSession(userId), await createSession(userId)];
    const token = await unsafeCreateApiToken({ userId, orgId: org.id, name: "old", scopes: ["event:read"] });
    await db().emailToken.create({ data: { userId, purpose: "verify_email", tokenHash: hashToken(`verify-${userId}`), expiresAt: new Date(Date.now() + 60_000) } });

    await verifyEmail(`verify-${userId}`, confirming.token);
    expect(await userForSession(confirming.token)).toMatchObject({ id: userId });
    expect(await userForSession(other.token)).toBeNull();
    expect(await authenticateApiToken(token.token)).toBeNull();
    // Verified now: tokens can be made again.
    const fresh = await createApiTokenFor({ userId, orgId: org.id, role: "owner" }, { name: "ci", scopes: ["event:read"] });
    expect(await authenticateApiToken(fresh.token)).toMatchObject({ userId });
  });
});

describe("emails without SMTP", () => {
  // A process of its own: the logger writes to stdout, and NODE_ENV is read once per process.
  const sendOne = (nodeEnv: string) =>
    run(NODE, [...WITH_TSX, "tests/support/send-mail.ts", "someone@example.com", "https://example.com/reset-password/SECRET-LINK-TOKEN"], { NODE_ENV: nodeEnv, SMTP_URL: "" });

  it("logs that a mail was suppressed and how to configure SMTP, never the link, outside development", async () => {
    const { code, output } = await sendOne("production");
    expect(code, output).toBe(0);
    expect(output).toContain("email suppressed: SMTP_URL is unset");
    expect(output).toContain("someone@example.com");
    expect(output).not.toContain("SECRET-LINK-TOKEN");
  });

  it("shows the link in development (npm run dev)", async () => {
    const { code, output } = await sendOne("development");
    expect(code, output).toBe(0);
    expect(output).toContain("SECRET-LINK-TOKEN");
  });
});

describe("the session cookie on a plain http site (APP_URL unset in tests)", () => {
  it("keeps the bare name and is not Secure: browsers may refuse a Secure cookie over http", () => {
    expect(sessionCookie("t", new Date(0))).toMatchObject({ name: "errorhub_session", secure: false, httpOnly: true, path: "/" });
  });
});
