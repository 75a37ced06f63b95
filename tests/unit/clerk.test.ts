import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { clerkSettings, frontendApiOf } from "@/lib/auth/clerk/config";
import { identityFromClaims, mapClerkRole, resolveRole } from "@/lib/auth/clerk/mirror";
import { contentSecurityPolicy } from "@/lib/csp";
import { EnvError, parseEnv } from "@/lib/env";
import { PUBLISHABLE_KEY, signingKeys } from "../support/clerk";

const { publicPem } = signingKeys();
const clerkEnv = { CLERK_SECRET_KEY: "sk_live_abc", NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: PUBLISHABLE_KEY };

describe("Clerk configuration", () => {
  it("is off without keys, and on with both, authorizing APP_URL's origin by default", () => {
    expect(clerkSettings({ ...parseEnv({}), AUTH_SECRET: "x" })).toBeNull();
    const env = parseEnv({
      ...clerkEnv,
      APP_URL: "https://errorhub.example.com/app",
      CLERK_JWT_KEY: publicPem,
    });
    expect(clerkSettings({ ...env, AUTH_SECRET: "x" })).toEqual({
      secretKey: "sk_live_abc",
      publishableKey: PUBLISHABLE_KEY,
      jwtKey: publicPem.trim(),
      webhookSigningSecret: undefined,
      authorizedParties: ["https://errorhub.example.com"],
      frontendApi: "clerk.example.com",
    });
  });

  it("reads a PEM written on one line with \\n, and a list of authorized parties", () => {
    const oneLine = publicPem.trim().replace(/\n/g, "\\n");
    const env = parseEnv({
      ...clerkEnv,
      CLERK_JWT_KEY: oneLine,
      CLERK_AUTHORIZED_PARTIES: "https://a.example.com, https://b.example.com",
    });
    expect(env.CLERK_JWT_KEY).toBe(publicPem.trim());
    expect(env.CLERK_AUTHORIZED_PARTIES).toEqual(["https://a.example.com", "https://b.example.com"]);
  });

  it("refuses half a configuration and malformed values, naming each", () => {
    expect(() => parseEnv({ CLERK_SECRET_KEY: "sk_live_abc" })).toThrow(
      /NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: must be set too/,
    );
    expect(() => parseEnv({ NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: PUBLISHABLE_KEY })).toThrow(
      /CLERK_SECRET_KEY: must be set too/,
    );
    let message = "";
    try {
      parseEnv({
        CLERK_SECRET_KEY: "pk_live_oops",
        NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_live_${Buffer.from("no-dollar").toString("base64")}`,
        CLERK_JWT_KEY: "not a pem",
        CLERK_WEBHOOK_SIGNING_SECRET: "secret",
        CLERK_AUTHORIZED_PARTIES: "https://ok.example.com,https://a.example.com/path",
      });
    } catch (error) {
      expect(error).toBeInstanceOf(EnvError);
      message = (error as Error).message;
    }
    for (const name of [
      "CLERK_SECRET_KEY",
      "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
      "CLERK_JWT_KEY",
      "CLERK_WEBHOOK_SIGNING_SECRET",
      "CLERK_AUTHORIZED_PARTIES",
    ]) {
      expect(message).toMatch(new RegExp(`${name}: `));
    }
  });

  it("documents every Clerk variable in .env.example and the README", () => {
    const example = readFileSync(".env.example", "utf8");
    const readme = readFileSync("README.md", "utf8");
    const names = [
      "CLERK_SECRET_KEY",
      "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
      "CLERK_JWT_KEY",
      "CLERK_WEBHOOK_SIGNING_SECRET",
      "CLERK_AUTHORIZED_PARTIES",
    ];
    for (const name of names) {
      expect(example, name).toMatch(new RegExp(`^${name}=`, "m"));
      expect(readme, name).toContain(`| \`${name}\` |`);
    }
  });

  it("finds the Frontend API host in a publishable key", () => {
    expect(frontendApiOf(PUBLISHABLE_KEY)).toBe("clerk.example.com");
    expect(
      frontendApiOf(`pk_test_${Buffer.from("happy-cat-12.clerk.accounts.dev$").toString("base64")}`),
    ).toBe("happy-cat-12.clerk.accounts.dev");
  });

  it("admits Clerk's origins in the page policy only when it is on", () => {
    const plain = contentSecurityPolicy({ nonce: "n0nce", development: false });
    expect(plain).not.toMatch(/clerk|cloudflare/);
    expect(plain).toContain("script-src 'self' 'nonce-n0nce' 'strict-dynamic';");
    const clerk = contentSecurityPolicy({ nonce: "n0nce", development: false, clerkFrontendApi: "clerk.example.com" });
    expect(clerk).toContain(
      "script-src 'self' 'nonce-n0nce' 'strict-dynamic' https://clerk.example.com https://challenges.cloudflare.com;",
    );
    expect(clerk).toContain("connect-src 'self' https://clerk.example.com;");
    expect(clerk).toContain("frame-ancestors 'none'");
  });
});

describe("Clerk session claims", () => {
  it("reads the active org of v2 tokens (o) and of v1 tokens (org_*)", () => {
    expect(
      identityFromClaims({
        sub: "user_1",
        iat: 100,
        v: 2,
        o: { id: "org_1", rol: "admin", slg: "acme" },
        email: "a@example.com",
      }),
    ).toEqual({
      userId: "user_1",
      email: "a@example.com",
      name: null,
      org: { id: "org_1", slug: "acme", role: "admin" },
      issuedAt: 100,
    });
    expect(
      identityFromClaims({ sub: "user_1", org_id: "org_1", org_role: "org:member", org_slug: "acme" })?.org,
    ).toEqual({
      id: "org_1",
      slug: "acme",
      role: "org:member",
    });
    expect(identityFromClaims({ sub: "user_1", v: 2 })).toMatchObject({
      org: null,
      email: null,
      issuedAt: null,
    });
    expect(identityFromClaims({ v: 2 })).toBeNull();
  });

  it("maps Clerk roles to ours, least privilege for unknown ones", () => {
    expect(
      ["org:admin", "admin", "org:member", "org:owner", "org:billing", "org:viewer", null].map(mapClerkRole),
    ).toEqual(["admin", "admin", "member", "owner", "billing", "member", "member"]);
  });

  it("makes an admin the owner of an ownerless org, and never demotes an owner Clerk calls admin", () => {
    expect(resolveRole("admin", null, false)).toBe("owner");
    expect(resolveRole("admin", null, true)).toBe("admin");
    expect(resolveRole("admin", "owner", true)).toBe("owner");
    expect(resolveRole("member", "owner", true)).toBe("member");
    expect(resolveRole("member", null, false)).toBe("member");
  });
});
