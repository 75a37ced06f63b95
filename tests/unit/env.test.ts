import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "@/lib/env";

describe("parseEnv", () => {
  it("applies the documented defaults", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      REDIS_URL: "redis://127.0.0.1:6379",
      APP_URL: "http://localhost:3000",
      INGEST_URL: "http://localhost:3001",
      PORT: 3000,
      INGEST_PORT: 3001,
      DATA_DIR: ".data",
    });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it("sizes the ingest backlog for a small server unless it is set", () => {
    expect(parseEnv({})).toMatchObject({ SMALL_SERVER: false, INGEST_MAX_BACKLOG: 100_000, INGEST_MAX_BACKLOG_MB: 256 });
    expect(parseEnv({ SMALL_SERVER: "true" })).toMatchObject({ SMALL_SERVER: true, INGEST_MAX_BACKLOG: 20_000, INGEST_MAX_BACKLOG_MB: 48 });
    expect(parseEnv({ SMALL_SERVER: "true", INGEST_MAX_BACKLOG_MB: "100" }).INGEST_MAX_BACKLOG_MB).toBe(100);
    expect(() => parseEnv({ SMALL_SERVER: "yes" })).toThrow(/SMALL_SERVER: must be true or false/);
  });

  it("treats empty values as unset", () => {
    expect(parseEnv({ DATABASE_URL: "", PORT: "" }).PORT).toBe(3000);
  });

  it("names every bad variable and says what is wrong", () => {
    let message = "";
    try {
      parseEnv({ PORT: "abc", INGEST_URL: "not a url", AUTH_SECRET: "short" });
    } catch (error) {
      expect(error).toBeInstanceOf(EnvError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/PORT: /);
    expect(message).toMatch(/INGEST_URL: must be a URL/);
    expect(message).toMatch(/AUTH_SECRET: must be at least 32 characters/);
  });
});
