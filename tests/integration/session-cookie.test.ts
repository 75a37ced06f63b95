import { beforeAll, describe, expect, it } from "vitest";

// APP_URL is read once per test file (env() is cached), so the https site has a file of its own.
describe("the session cookie on an https site", () => {
  beforeAll(() => {
    process.env.APP_URL = "https://errors.example.com";
  });

  it("is __Host- prefixed, Secure, Path=/ and without a Domain, as browsers require of that prefix", async () => {
    const { sessionCookie } = await import("@/lib/auth/sessions");
    const expires = new Date(Date.now() + 60_000);
    const cookie = sessionCookie("token-value", expires);
    expect(cookie).toEqual({ name: "__Host-errorhub_session", value: "token-value", httpOnly: true, sameSite: "lax", secure: true, path: "/", expires });
    expect(cookie).not.toHaveProperty("domain");
  });
});
