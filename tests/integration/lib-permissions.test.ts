import { beforeAll, describe, expect, it } from "vitest";
import { orgDetailForViewer, projectForViewer } from "@/lib/api/tenancy";
import { type Viewer, membershipBySlug, viewerForOrg } from "@/lib/auth/viewer";
import { db } from "@/lib/db";
import type { Role } from "@/lib/generated/prisma/enums.ts";
import { orgForViewer } from "@/lib/orgs";
import { listProjectsWithDsns, projectDsn } from "@/lib/projects";
import { monthUsage, usageStats } from "@/lib/usage/stats";
import { createOrgWithProject } from "../support/factories";

// The lib functions that used to take a bare orgId (or leave the check to their route) now
// check the viewer themselves: run against two tenants, each role and foreign ids.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>> & { owner: Viewer };

async function tenant(): Promise<Tenant> {
  const created = await createOrgWithProject();
  return { ...created, owner: { userId: created.user.id, orgId: created.org.id, role: "owner" } };
}

async function viewerWithRole(orgId: number, role: Role): Promise<Viewer> {
  const user = await db().user.create({ data: { email: `${role}-${Math.random().toString(36).slice(2)}@example.com` } });
  await db().membership.create({ data: { orgId, userId: user.id, role } });
  return { userId: user.id, orgId, role };
}

const today = new Date(new Date().toISOString().slice(0, 10));

async function countAccepted(t: Tenant, quantity: number) {
  await db().outcomeCount.create({
    data: { orgId: t.org.id, projectId: t.project.id, day: today, category: "error", outcome: "accepted", quantity },
  });
}

let A: Tenant;
let B: Tenant;
let aBilling: Viewer;
let aMember: Viewer;

beforeAll(async () => {
  [A, B] = [await tenant(), await tenant()];
  aBilling = await viewerWithRole(A.org.id, "billing");
  aMember = await viewerWithRole(A.org.id, "member");
  await countAccepted(A, 7);
  await countAccepted(B, 1000);
});

describe("the org of the URL", () => {
  it("is the viewer's own org; another org's slug is not found, even for a member of both", async () => {
    expect(await orgForViewer(A.owner, A.org.slug)).toMatchObject({ id: A.org.id, slug: A.org.slug });
    expect(await orgForViewer(A.owner, undefined)).toMatchObject({ id: A.org.id });
    await expect(orgForViewer(A.owner, B.org.slug)).rejects.toMatchObject({ code: "not_found" });
    await expect(orgForViewer(A.owner, "no-such-org")).rejects.toMatchObject({ code: "not_found" });
    await db().membership.create({ data: { orgId: B.org.id, userId: A.user.id, role: "owner" } });
    await expect(orgForViewer(A.owner, B.org.slug)).rejects.toMatchObject({ code: "not_found" });
    expect((await membershipBySlug(A.user.id, B.org.slug))?.viewer).toEqual({ userId: A.user.id, orgId: B.org.id, role: "owner" });
  });

  it("is null for a stranger, whether the org exists or not", async () => {
    expect(await membershipBySlug(B.user.id, A.org.slug)).toBeNull();
    expect(await viewerForOrg(B.user.id, "no-such-org")).toBeNull();
    expect(await viewerForOrg(aBilling.userId, A.org.slug)).toEqual(aBilling);
  });
});

describe("projects", () => {
  it("lists the viewer's projects with DSNs, never another org's; a billing viewer is refused", async () => {
    const projects = await listProjectsWithDsns(A.owner);
    expect(projects.map((p) => p.id)).toEqual([A.project.id]);
    expect(projects[0]!.dsns).toEqual([expect.stringContaining(`${A.key.publicKey}@`)]);
    expect((await listProjectsWithDsns(aMember)).map((p) => p.id)).toEqual([A.project.id]);
    await expect(listProjectsWithDsns(aBilling)).rejects.toMatchObject({ code: "forbidden" });
  });

  it("gives a project's DSN to a viewer who may read projects; a foreign project is not found", async () => {
    expect(await projectDsn(A.owner, A.project.id)).toContain(`${A.key.publicKey}@`);
    await expect(projectDsn(A.owner, B.project.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(projectDsn(aBilling, A.project.id)).rejects.toMatchObject({ code: "forbidden" });
  });

  it("finds the project of the URL for project readers only; a missing one stays a 404", async () => {
    expect((await projectForViewer(aMember, A.org.slug, A.project.slug)).project.id).toBe(A.project.id);
    await expect(projectForViewer(aBilling, A.org.slug, A.project.slug)).rejects.toMatchObject({ code: "forbidden" });
    await expect(projectForViewer(aBilling, A.org.slug, "no-such-project")).rejects.toMatchObject({ code: "not_found" });
    await expect(projectForViewer(A.owner, A.org.slug, B.project.slug)).rejects.toMatchObject({ code: "not_found" });
  });

  it("details the org with its projects, and without them for a role that may not read projects", async () => {
    expect((await orgDetailForViewer(A.owner, A.org.slug)).projects.map((p) => p.id)).toEqual([A.project.id]);
    const billing = await orgDetailForViewer(aBilling, A.org.slug);
    expect(billing).toMatchObject({ org: { id: A.org.id }, projects: [] });
  });
});

describe("usage", () => {
  it("counts only the viewer's org", async () => {
    const stats = await usageStats(aBilling, {
      start: today,
      end: new Date(today.getTime() + 86_400_000),
      fields: ["sum(quantity)"],
      groupBy: ["outcome"],
    });
    expect(stats.groups).toEqual([expect.objectContaining({ by: { outcome: "accepted" }, totals: { "sum(quantity)": 7 } })]);
    expect(await monthUsage(A.owner)).toEqual({ accepted: 7, rateLimited: 0, filtered: 0 });
    expect((await monthUsage(B.owner)).accepted).toBe(1000);
  });

  it("shows the month's usage to billing readers only", async () => {
    expect((await monthUsage(aBilling)).accepted).toBe(7);
    await expect(monthUsage(aMember)).rejects.toMatchObject({ code: "forbidden" });
  });
});
