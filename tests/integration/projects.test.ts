import { describe, expect, it } from "vitest";
import { listAuditLog } from "@/lib/audit";
import type { Viewer } from "@/lib/auth/viewer";
import { db } from "@/lib/db";
import type { Role } from "@/lib/generated/prisma/enums.ts";
import { listProjectKeys } from "@/lib/projects/listing";
import { createKey, createProject, deleteKey, deleteProject, projectBySlug, rotateKey, updateKey, updateProject } from "@/lib/projects/manage";
import { setupFor } from "@/lib/projects/platforms";
import { createOrgWithProject } from "../support/factories";

async function viewerWithRole(orgId: number, role: Role): Promise<Viewer> {
  const user = await db().user.create({ data: { email: `${role}-${Math.random().toString(36).slice(2)}@example.com` } });
  await db().membership.create({ data: { orgId, userId: user.id, role } });
  return { userId: user.id, orgId, role };
}

async function tenant() {
  const { org, user, project } = await createOrgWithProject();
  return { org, project, owner: { userId: user.id, orgId: org.id, role: "owner" } satisfies Viewer };
}

const settings = { name: "Renamed", slug: "renamed", platform: "python" as const, scrubData: false, filters: { localhost: true, errorMessages: ["*timeout*"] } };

describe("projects", () => {
  it("creates a project with a first key and a slug from its name; members may not", async () => {
    const { org, owner } = await tenant();
    const project = await createProject(owner, { name: "Checkout API", platform: "node" });
    expect(project).toMatchObject({ slug: "checkout-api", platform: "node" });
    expect(await listProjectKeys(owner, project.id)).toHaveLength(1);
    expect((await createProject(owner, { name: "Checkout API" })).slug).toBe("checkout-api-2");
    await expect(createProject(owner, { name: "x", slug: "checkout-api" })).rejects.toMatchObject({ code: "conflict" });
    await expect(createProject(owner, { name: "x", platform: "cobol" as never })).rejects.toThrow();
    const member = await viewerWithRole(org.id, "member");
    await expect(createProject(member, { name: "Nope" })).rejects.toMatchObject({ code: "forbidden" });
    expect((await listAuditLog(owner)).map((e) => e.action)).toContain("project.created");
  });

  it("saves settings (scrubbing, filters, slug) and deletes only with the slug typed back", async () => {
    const { owner } = await tenant();
    const { id } = await createProject(owner, { name: "Web" });
    await updateProject(owner, id, settings);
    const saved = await projectBySlug(owner, "renamed");
    expect(saved).toMatchObject({ id, name: "Renamed", platform: "python", scrubData: false });
    expect(saved.filters).toMatchObject({ localhost: true, browserExtensions: false, errorMessages: ["*timeout*"] });
    await expect(deleteProject(owner, id, "web")).rejects.toMatchObject({ code: "bad_request" });
    await deleteProject(owner, id, "renamed");
    await expect(projectBySlug(owner, "renamed")).rejects.toMatchObject({ code: "not_found" });
  });

  it("manages keys: create, rate limit, disable, rotate, delete, each audited", async () => {
    const { project, owner } = await tenant();
    const key = await createKey(owner, project.id, { label: "CI" });
    await expect(updateKey(owner, key.id, { label: "CI", active: true, rateLimitCount: 10, rateLimitWindow: null })).rejects.toThrow(/both/);
    const limited = await updateKey(owner, key.id, { label: "CI", active: false, rateLimitCount: 10, rateLimitWindow: 60 });
    expect(limited).toMatchObject({ active: false, rateLimitCount: 10, rateLimitWindow: 60 });
    const rotated = await rotateKey(owner, key.id);
    expect(rotated).toMatchObject({ label: "CI", active: true, rateLimitCount: 10, rateLimitWindow: 60 });
    expect(rotated.publicKey).not.toBe(key.publicKey);
    expect((await db().projectKey.findUniqueOrThrow({ where: { id: key.id } })).active).toBe(false);
    await deleteKey(owner, key.id);
    expect((await listProjectKeys(owner, project.id)).map((k) => k.id)).not.toContain(key.id);
    const actions = (await listAuditLog(owner)).map((e) => e.action);
    for (const action of ["key.created", "key.disabled", "key.rate_limit_changed", "key.rotated", "key.deleted"]) expect(actions).toContain(action);
  });

  it("another org's projects and keys are not found, and stay unchanged", async () => {
    const a = await tenant();
    const b = await tenant();
    const [keyOfA] = await listProjectKeys(a.owner, a.project.id);
    const attempts = [
      () => updateProject(b.owner, a.project.id, settings),
      () => deleteProject(b.owner, a.project.id, a.project.slug),
      () => createKey(b.owner, a.project.id),
      () => updateKey(b.owner, keyOfA!.id, { label: "x", active: false }),
      () => rotateKey(b.owner, keyOfA!.id),
      () => deleteKey(b.owner, keyOfA!.id),
      () => projectBySlug(b.owner, a.project.slug),
    ];
    for (const attempt of attempts) await expect(attempt()).rejects.toMatchObject({ code: "not_found" });
    expect(await listProjectKeys(a.owner, a.project.id)).toEqual([keyOfA]);
    expect(await projectBySlug(a.owner, a.project.slug)).toMatchObject({ id: a.project.id, scrubData: true });
  });

  it("fills the DSN into each platform's setup", () => {
    const dsn = "http://abc@localhost:3001/7";
    for (const platform of ["javascript", "node", "nextjs", "python", "ruby", "go", "java", "php"]) {
      const setup = setupFor(platform, dsn);
      expect(setup.id).toBe(platform);
      expect(setup.code).toContain(dsn);
      expect(setup.code).not.toContain("__DSN__");
    }
  });
});
