import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, NODE, WITH_TSX, run } from "../support/processes";

// The drift check CI runs: committed migrations must produce exactly schema.prisma.
describe("npm run db:check", () => {
  it("agrees for the committed schema and migrations", async () => {
    const result = await run(NODE, [...WITH_TSX, "prisma/tools/check.ts"]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/schema and migrations agree/);
  });

  it("fails, printing the missing SQL, when the schema has a change no migration covers", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "drift-"));
    try {
      const schema = readFileSync(path.join(ROOT, "prisma/schema.prisma"), "utf8").replace(
        '  plan      String   @default("free")',
        '  plan      String   @default("free")\n  billingEmail String? @map("billing_email")',
      );
      expect(schema).toContain("billing_email");
      const drifted = path.join(dir, "schema.prisma");
      writeFileSync(drifted, schema);
      const result = await run(NODE, [...WITH_TSX, "prisma/tools/check.ts", "--schema", drifted]);
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/ALTER TABLE "organizations" ADD COLUMN\s+"billing_email" TEXT;/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
