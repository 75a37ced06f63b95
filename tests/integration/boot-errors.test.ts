import { describe, expect, it } from "vitest";
import { NODE, WITH_TSX, run } from "../support/processes";

// A misconfigured process must say what is wrong in one line and exit 1: no stack dump.
function expectOneLineFailure(result: { code: number | null; output: string }, pattern: RegExp) {
  expect(result.code).toBe(1);
  const lines = result.output.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.output).not.toMatch(/\n\s+at /);
}

describe.each(["workers/ingest.ts", "workers/worker.ts", "workers/web.ts"])("%s boot", (entry) => {
  it("names DATABASE_URL when its server is down", async () => {
    const result = await run(NODE, [...WITH_TSX, entry], { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere" });
    expectOneLineFailure(result, /^error: Cannot reach PostgreSQL \(DATABASE_URL=postgresql:\/\/postgres@127\.0\.0\.1:1\/nowhere\)/);
  });

  it("says how to start Redis when none answers", async () => {
    const result = await run(NODE, [...WITH_TSX, entry], { REDIS_URL: "redis://127.0.0.1:1" });
    expectOneLineFailure(result, /^error: No Redis answers at redis:\/\/127\.0\.0\.1:1.*redis-server --daemonize yes/);
  });

  it("names an invalid variable", async () => {
    const result = await run(NODE, [...WITH_TSX, entry], { INGEST_PORT: "eighty" });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/^error: Invalid configuration:\n\s+INGEST_PORT: /);
    expect(result.output).not.toMatch(/\n\s+at /);
  });
});
