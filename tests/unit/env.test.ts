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
