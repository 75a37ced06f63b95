import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { parseSearch } from "./search";

function badQuery(query: string): string {
  try {
    parseSearch(query);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("bad_request");
    return (error as AppError).message;
  }
  throw new Error(`expected "${query}" to be rejected`);
}

describe("parseSearch", () => {
  it("reads nothing from an empty or blank query", () => {
    expect(parseSearch("")).toEqual([]);
    expect(parseSearch("   \t ")).toEqual([]);
  });

  it("reads is: statuses, their alias and assignment", () => {
    expect(parseSearch("is:unresolved")).toEqual([{ negated: false, kind: "status", statuses: ["unresolved"] }]);
    expect(parseSearch("is:Resolved is:archived")).toEqual([
      { negated: false, kind: "status", statuses: ["resolved"] },
      { negated: false, kind: "status", statuses: ["ignored"] },
    ]);
    expect(parseSearch("is:[resolved, ignored]")).toEqual([
      { negated: false, kind: "status", statuses: ["resolved", "ignored"] },
    ]);
    expect(parseSearch("is:assigned !is:unassigned")).toEqual([
      { negated: false, kind: "assignment", assigned: true },
      { negated: true, kind: "assignment", assigned: false },
    ]);
  });

  it("rejects unknown is: values, naming the accepted ones", () => {
    expect(badQuery("is:open")).toBe(
      'Invalid search query: unknown is: value "open"; use one of unresolved, resolved, ignored, archived, assigned, unassigned',
    );
    expect(badQuery("is:[assigned, unassigned]")).toContain("cannot be both");
    expect(badQuery("is:[resolved, assigned]")).toContain("cannot mix");
  });

  it("reads levels, case-insensitively, and rejects unknown ones", () => {
    expect(parseSearch("level:ERROR !level:info")).toEqual([
      { negated: false, kind: "level", levels: ["error"] },
      { negated: true, kind: "level", levels: ["info"] },
    ]);
    expect(badQuery("level:critical")).toContain('unknown level "critical"');
  });

  it("reads release, environment and any other key as tags", () => {
    expect(parseSearch("release:1.2.3 environment:prod browser:Chrome")).toEqual([
      { negated: false, kind: "tag", key: "release", values: [{ value: "1.2.3", wildcard: false }] },
      { negated: false, kind: "tag", key: "environment", values: [{ value: "prod", wildcard: false }] },
      { negated: false, kind: "tag", key: "browser", values: [{ value: "Chrome", wildcard: false }] },
    ]);
  });

  it("keeps quoted values whole, with escapes, and never as wildcards", () => {
    expect(parseSearch('browser:"Chrome 120" title:"say \\"hi\\" *"')).toEqual([
      { negated: false, kind: "tag", key: "browser", values: [{ value: "Chrome 120", wildcard: false }] },
      { negated: false, kind: "tag", key: "title", values: [{ value: 'say "hi" *', wildcard: false }] },
    ]);
  });

  it("reads wildcards in bare tag values and lists of values", () => {
    expect(parseSearch('browser:Chrome* os:[Linux, "Mac OS", Win*]')).toEqual([
      { negated: false, kind: "tag", key: "browser", values: [{ value: "Chrome*", wildcard: true }] },
      {
        negated: false,
        kind: "tag",
        key: "os",
        values: [
          { value: "Linux", wildcard: false },
          { value: "Mac OS", wildcard: false },
          { value: "Win*", wildcard: true },
        ],
      },
    ]);
  });

  it("reads free text: bare words and quoted phrases, each a term, negatable", () => {
    expect(parseSearch('TypeError "cannot read" !timeout')).toEqual([
      { negated: false, kind: "text", text: "TypeError" },
      { negated: false, kind: "text", text: "cannot read" },
      { negated: true, kind: "text", text: "timeout" },
    ]);
    // Not a key before the colon: free text, as Sentry reads it.
    expect(parseSearch(":8080 a=b:c")).toEqual([
      { negated: false, kind: "text", text: ":8080" },
      { negated: false, kind: "text", text: "a=b:c" },
    ]);
  });

  it("negates filters with !", () => {
    expect(parseSearch('!browser:Chrome !environment:"staging eu"')).toEqual([
      { negated: true, kind: "tag", key: "browser", values: [{ value: "Chrome", wildcard: false }] },
      { negated: true, kind: "tag", key: "environment", values: [{ value: "staging eu", wildcard: false }] },
    ]);
  });

  it("reads assigned: me, none and emails (lowercased)", () => {
    expect(parseSearch("assigned:me !assigned:Jane@Example.com assigned:[none, me]")).toEqual([
      { negated: false, kind: "assigned", to: [{ kind: "me" }] },
      { negated: true, kind: "assigned", to: [{ kind: "email", email: "jane@example.com" }] },
      { negated: false, kind: "assigned", to: [{ kind: "none" }, { kind: "me" }] },
    ]);
    expect(badQuery("assigned:#backend")).toContain("teams are not supported");
    expect(badQuery("assigned:jane")).toContain("me, none or an email");
  });

  it("reads has:, firstRelease: and tags[] keys with colons", () => {
    expect(parseSearch("has:browser firstRelease:2.0 tags[sentry:user]:id:1")).toEqual([
      { negated: false, kind: "has", keys: ["browser"] },
      { negated: false, kind: "firstRelease", versions: ["2.0"] },
      { negated: false, kind: "tag", key: "sentry:user", values: [{ value: "id:1", wildcard: false }] },
    ]);
  });

  it("explains malformed queries", () => {
    expect(badQuery('"unterminated')).toBe("Invalid search query: unterminated quote at position 1");
    expect(badQuery('browser:"Chrome')).toBe("Invalid search query: unterminated quote at position 9");
    expect(badQuery("level:")).toBe('Invalid search query: missing value after "level:"');
    expect(badQuery("level: error")).toBe('Invalid search query: missing value after "level:"');
    expect(badQuery("!")).toContain("negates nothing");
    expect(badQuery("! level:error")).toContain("negates nothing");
    expect(badQuery("os:[Linux")).toContain("unterminated list");
    expect(badQuery("os:[Linux Mac]")).toContain('expected "," or "]" in the list');
    expect(badQuery("os:[Linux]x")).toContain("unexpected text after the list");
    expect(badQuery('""')).toContain("empty quoted text");
    expect(badQuery('"a"b')).toContain("unexpected text after the quote");
    expect(badQuery(`x:${"a".repeat(201)}`)).toContain("longer than 200");
    expect(badQuery(Array.from({ length: 31 }, (_, i) => `w${i}`).join(" "))).toContain("too many terms");
  });
});
