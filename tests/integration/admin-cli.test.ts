import { describe, expect, it } from "vitest";
import { unsafeCreateDemoAccount } from "@/lib/bootstrap";
import { db } from "@/lib/db";
import { hashToken } from "@/lib/tokens";
import { verifyPassword } from "@/lib/auth/password";
import { NODE, WITH_TSX, run } from "../support/processes";

const admin = (args: string[], env: Record<string, string> = {}) =>
  run(NODE, [...WITH_TSX, "workers/admin.ts", ...args], { LOG_LEVEL: "warn", ...env });

const bootstrapArgs = (suffix: string) => [
  "bootstrap",
  "--email",
  `owner-${suffix}@example.com`,
  "--password",
  "correct horse battery",
  "--org",
  `acme-${suffix}`,
  "--project",
  "backend",
  "--json",
];

// Each CLI run is a fresh tsx process that migrates first: seconds each on a busy machine.
describe("admin bootstrap", { timeout: 120_000 }, () => {
  it("prints the DSN, token, org, project and id, and the same again on a second run", async () => {
    const suffix = Date.now().toString(36);
    const env = { INGEST_URL: "https://ingest.example.test" };
    const first = await admin(bootstrapArgs(suffix), env);
    expect(first.code, first.output).toBe(0);
    const result = JSON.parse(first.output.trim());
    expect(Object.keys(result).sort()).toEqual(["dsn", "org", "project", "projectId", "token"]);
    expect(result).toMatchObject({ org: `acme-${suffix}`, project: "backend" });
    expect(result.dsn).toBe(
      `https://${result.dsn.match(/\/\/([0-9a-f]{32})@/)[1]}@ingest.example.test/${result.projectId}`,
    );

    const second = await admin(bootstrapArgs(suffix), env);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.output.trim())).toEqual(result);

    // What it printed is what is stored: one user owning one org with one project and key.
    const org = await db().organization.findUniqueOrThrow({
      where: { slug: result.org },
      include: { memberships: { include: { user: true } }, projects: { include: { keys: true } } },
    });
    expect(org.memberships).toHaveLength(1);
    expect(org.memberships[0]!.role).toBe("owner");
    expect(await verifyPassword(org.memberships[0]!.user.passwordHash!, "correct horse battery")).toBe(true);
    expect(org.projects.map((p) => [p.id, p.slug, p.keys.length])).toEqual([[result.projectId, "backend", 1]]);
    const token = await db().apiToken.findUniqueOrThrow({ where: { tokenHash: hashToken(result.token) } });
    expect(token).toMatchObject({ orgId: org.id, revokedAt: null });
    expect(token.scopes).toContain("org:admin");

    // Revoked for good: a rerun neither re-grants nor prints it.
    await db().apiToken.update({ where: { id: token.id }, data: { revokedAt: new Date() } });
    const third = await admin(bootstrapArgs(suffix), env);
    expect(third.code, third.output).toBe(0);
    expect(JSON.parse(third.output.trim())).toEqual({ ...result, token: null });
    const after = await db().apiToken.findUniqueOrThrow({ where: { id: token.id } });
    expect(after.revokedAt).not.toBeNull();
    expect(await db().apiToken.count({ where: { orgId: org.id, revokedAt: null } })).toBe(0);
  });

  it("makes the demo account only on a database without users", async () => {
    await admin(bootstrapArgs(`demo-${Date.now().toString(36)}`));
    expect(await db().user.count()).toBeGreaterThan(0);
    const login = { email: `demo-${Date.now().toString(36)}@example.com`, password: "a demo password" };
    expect(await unsafeCreateDemoAccount(login)).toBeNull();
    expect(await db().user.count({ where: { email: login.email } })).toBe(0);
  });

  it("refuses bad input with a message and exit code 1", async () => {
    const missing = await admin(["bootstrap", "--email", "x@example.com"]);
    expect(missing.code).toBe(1);
    expect(missing.output.trim()).toBe("error: --password is required");
    const badSlug = await admin(["bootstrap", ...bootstrapArgs("x").slice(1, 5), "--org", "Not A Slug", "--project", "p"]);
    expect(badSlug.code).toBe(1);
    expect(badSlug.output).toMatch(/^error: use lowercase letters, digits and dashes/);
  });
});

describe("admin user commands", { timeout: 120_000 }, () => {
  it("creates a user, resets the password (ending sessions) and lists orgs", async () => {
    const email = `ops-${Date.now().toString(36)}@example.com`;
    const org = `ops-${Date.now().toString(36)}`;
    const created = await admin(["create-user", "--email", email, "--password", "first-password", "--org", org, "--json"]);
    expect(created.code, created.output).toBe(0);
    const user = await db().user.findUniqueOrThrow({ where: { email } });
    await db().session.create({ data: { userId: user.id, tokenHash: `t-${email}`, expiresAt: new Date(Date.now() + 1e6) } });

    const reset = await admin(["reset-password", "--email", email, "--password", "second-password"]);
    expect(reset.code, reset.output).toBe(0);
    const after = await db().user.findUniqueOrThrow({ where: { email } });
    expect(await verifyPassword(after.passwordHash!, "second-password")).toBe(true);
    expect(await db().session.count({ where: { userId: user.id } })).toBe(0);

    const unknown = await admin(["reset-password", "--email", "nobody@example.com", "--password", "whatever-long"]);
    expect(unknown.code).toBe(1);
    expect(unknown.output.trim()).toBe("error: no user with email nobody@example.com");

    const list = await admin(["list-orgs", "--json"]);
    expect(list.code).toBe(0);
    const orgs = JSON.parse(list.output.trim());
    expect(orgs.find((o: { slug: string }) => o.slug === org)).toMatchObject({ _count: { memberships: 1, projects: 0 } });
  });
});
