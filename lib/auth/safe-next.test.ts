import { describe, expect, it } from "vitest";
import { safeNext } from "./safe-next";

// APP_URL is unset in tests: the site is http://localhost:3000.
describe("safeNext", () => {
  it.each([
    "/\\evil.example",
    "/%5Cevil.example",
    "/%5cevil.example/path",
    "\\\\evil.example",
    "\\/evil.example",
    "//evil.example",
    "///evil.example",
    "/.//evil.example",
    "/\t/evil.example",
    " //evil.example",
    "https://evil.example/",
    "http://localhost:3000.evil.example/",
    "https://localhost:3000/",
    "http://localhost:3001/",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "http:evil.example",
    "http://[::1",
  ])("never leaves the site for %j", (next) => {
    const target = safeNext(next);
    expect(new URL(target, "http://localhost:3000").origin).toBe("http://localhost:3000");
    expect(target.startsWith("/") && !target.startsWith("//") && !target.startsWith("/\\")).toBe(true);
  });

  it("keeps paths on the site, query and fragment included", () => {
    expect(safeNext("/demo/issues?x=1")).toBe("/demo/issues?x=1");
    expect(safeNext("/invitations/abc_DEF-123")).toBe("/invitations/abc_DEF-123");
    expect(safeNext("/demo/issues?query=is%3Aunresolved#top")).toBe("/demo/issues?query=is%3Aunresolved#top");
    expect(safeNext("http://localhost:3000/demo")).toBe("/demo");
    expect(safeNext("demo/issues")).toBe("/demo/issues");
  });

  it("answers the fallback for a missing or dangerous next", () => {
    expect(safeNext(undefined)).toBe("/");
    expect(safeNext("")).toBe("/");
    expect(safeNext("//evil.example", "/?plan=team")).toBe("/?plan=team");
    // Still encoded, %5C is part of a path here; decoded once (as searchParams do), it is refused.
    expect(safeNext("/%5Cevil.example")).toBe("/%5Cevil.example");
    expect(safeNext(new URLSearchParams("next=/%5Cevil.example").get("next"))).toBe("/");
    expect(safeNext(new URLSearchParams("next=%2F%5C%5Cevil.example").get("next"))).toBe("/");
  });
});
