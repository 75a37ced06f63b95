import { describe, expect, it } from "vitest";
import { formatDsn } from "@/lib/projects/dsn";

describe("formatDsn", () => {
  it("puts the public key and project id on INGEST_URL's host", () => {
    expect(formatDsn("http://localhost:3001", "abc", 7)).toBe("http://abc@localhost:3001/7");
    expect(formatDsn("https://ingest.example.com/", "abc", 7)).toBe("https://abc@ingest.example.com/7");
  });

  it("keeps a path prefix, as Sentry DSNs allow", () => {
    expect(formatDsn("https://example.com/errors/", "k", 12)).toBe("https://k@example.com/errors/12");
  });
});
