import { describe, expect, it } from "vitest";
import { contentSecurityPolicy, createNonce } from "@/lib/csp";

const directives = (policy: string) =>
  new Map(policy.split("; ").map((d) => [d.split(" ")[0]!, d.split(" ").slice(1)] as const));

describe("the page policy", () => {
  it("admits scripts by nonce only in production: no 'unsafe-inline', no 'unsafe-eval'", () => {
    const script = directives(contentSecurityPolicy({ nonce: "abc123==", development: false })).get("script-src")!;
    expect(script).toEqual(["'self'", "'nonce-abc123=='", "'strict-dynamic'"]);
  });

  it("adds only 'unsafe-eval' in development, for React's error stacks", () => {
    const script = directives(contentSecurityPolicy({ nonce: "abc", development: true })).get("script-src")!;
    expect(script).toEqual(["'self'", "'nonce-abc'", "'strict-dynamic'", "'unsafe-eval'"]);
  });

  it("keeps the other protections whatever the options", () => {
    for (const clerkFrontendApi of [null, "clerk.example.com"]) {
      const policy = directives(contentSecurityPolicy({ nonce: "abc", development: false, clerkFrontendApi }));
      expect(policy.get("default-src")).toEqual(["'self'"]);
      expect(policy.get("object-src")).toEqual(["'none'"]);
      expect(policy.get("base-uri")).toEqual(["'self'"]);
      expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
      expect(policy.get("form-action")).toEqual(["'self'"]);
      expect(policy.get("script-src")).not.toContain("'unsafe-inline'");
    }
  });

  it("gets a fresh, unguessable nonce each time, valid in a CSP source expression", () => {
    const nonces = new Set(Array.from({ length: 1000 }, () => createNonce()));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) {
      expect(nonce).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(Buffer.from(nonce, "base64")).toHaveLength(16);
    }
  });
});

describe("proxy.ts", () => {
  it("sends each page a policy with its own nonce, and hands the same nonce to the render", async () => {
    const { NextRequest } = await import("next/server");
    const { default: proxy } = await import("@/proxy");
    const policies: string[] = [];
    for (let i = 0; i < 2; i++) {
      // A client's own x-nonce is replaced, never trusted.
      const request = new NextRequest("http://localhost:3000/acme/issues", { headers: { "x-nonce": "chosen-by-client" } });
      const response = await proxy(request, {} as never);
      const policy = response.headers.get("content-security-policy")!;
      const nonce = /'nonce-([^']+)'/.exec(policy)![1]!;
      expect(nonce).not.toBe("chosen-by-client");
      // What Next's renderer sees as the request's headers (NextResponse.next({ request })).
      expect(response.headers.get("x-middleware-request-content-security-policy")).toBe(policy);
      expect(response.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
      expect(directives(policy).get("script-src")).not.toContain("'unsafe-inline'");
      policies.push(policy);
    }
    expect(policies[0]).not.toBe(policies[1]);
  });
});
