import { describe, expect, it } from "vitest";
import { normalizeMessageForGrouping, parameterize } from "./parameterize";

describe("parameterize", () => {
  it.each([
    ["User 1234 not found", "User <int> not found"],
    ["ratio 0.75 too high", "ratio <float> too high"],
    ["-12 degrees", "-<int> degrees"],
    ["id 550e8400-e29b-41d4-a716-446655440000 gone", "id <uuid> gone"],
    ["pointer 0x7ffee3b8a9c0 freed", "pointer <hex> freed"],
    ["trace a1b2c3d4e5f60718 lost", "trace <hex> lost"],
    ["etag d41d8cd98f00b204e9800998ecf8427e", "etag <hash>"],
    ["commit 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12", "commit <hash>"],
    ["mail to jane.doe+news@mail.example.co.uk bounced", "mail to <email> bounced"],
    ["connect 10.0.12.7:5432 refused", "connect <ip>:<int> refused"],
    ["host 2001:db8::ff00:42:8329 down", "host <ip> down"],
    ["peer [::1]:8080 reset", "peer [<ip>]:<int> reset"],
    ["expired 2024-03-01T12:30:45.123Z", "expired <date>"],
    ["expired 2024-03-01 12:30:45+02:00", "expired <date>"],
    ["on 2024-03-01", "on <date>"],
    ["Date: Tue, 15 Nov 1994 08:12:31 GMT", "Date: <date>"],
    ["at Mon Jan 01 2024 10:00:00 GMT+0100 (Central European Standard Time)", "at <date>"],
    ["Timeout after 30s", "Timeout after <duration>"],
    ["took 150ms", "took <duration>"],
    ["retry in 2.5 h", "retry in <duration>"],
    ["waited 10 seconds", "waited <duration>"],
  ])("%s", (input, expected) => {
    expect(parameterize(input)).toBe(expected);
  });

  it("leaves numbers inside identifiers and plain words alone", () => {
    // like Sentry's \b: only whole tokens are variable, "user_1234" is a name
    for (const keep of ["user_1234", "v2", "utf8", "deadbeef", "Foo::bar", "std::vector", "a :: b", "3rd"]) {
      expect(parameterize(keep)).toBe(keep);
    }
  });

  it("prefers the specific shape over the generic one it contains", () => {
    // a UUID is hex and ints, a date ints, an IP floats, a duration an int
    expect(parameterize("550e8400-e29b-41d4-a716-446655440000")).toBe("<uuid>");
    expect(parameterize("2024-03-01")).toBe("<date>");
    expect(parameterize("192.168.0.1")).toBe("<ip>");
    expect(parameterize("45s")).toBe("<duration>");
    expect(parameterize("999.1.1.1")).not.toBe("<ip>");
  });

  it("keeps the text around placeholders", () => {
    expect(parameterize("")).toBe("");
    expect(parameterize("no variables here.")).toBe("no variables here.");
    expect(parameterize("(42)")).toBe("(<int>)");
    expect(parameterize("a=1&b=2")).toBe("a=<int>&b=<int>");
  });

  it("stays fast on inputs that make backtracking regexes quadratic", () => {
    const hostile = [
      "a.".repeat(25_000),
      "a@".repeat(25_000),
      ":1".repeat(25_000),
      "1.".repeat(25_000),
      "-a".repeat(25_000),
      "1".repeat(50_000),
      "f".repeat(50_000),
      `${"a".repeat(50_000)}@`,
    ];
    for (const input of hostile) {
      const started = performance.now();
      parameterize(input);
      // quadratic work on 50k characters takes many seconds; linear takes milliseconds
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });
});

describe("normalizeMessageForGrouping", () => {
  it("keeps the first two non-blank lines and marks the cut", () => {
    expect(normalizeMessageForGrouping("Query failed\n\nSELECT 1\nFROM users\nWHERE id = 7")).toBe(
      "Query failed\nSELECT <int>...",
    );
    expect(normalizeMessageForGrouping("one line")).toBe("one line");
    expect(normalizeMessageForGrouping("  padded 5\n")).toBe("padded <int>");
  });

  it("caps very long text", () => {
    const long = "x".repeat(20_000);
    expect(normalizeMessageForGrouping(long)).toBe(`${"x".repeat(8192)}...`);
    expect(normalizeMessageForGrouping(`${long}a`)).toBe(normalizeMessageForGrouping(`${long}b`));
  });
});
