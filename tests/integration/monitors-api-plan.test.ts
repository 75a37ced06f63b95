import "../support/billing-env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { unsafeCreateApiToken } from "@/lib/tokens";
import { standIn } from "../support/billing-env";
import { callApi } from "../support/api";
import { createOrgWithProject } from "../support/factories";

// With billing on, the plan bounds an org's monitors (free 1, team 20): the API's create
// answers 403 past it, counted over all the org's projects; another org's monitors do not count.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let A: Tenant;
let B: Tenant;
const tokens: Record<string, string> = {};
const config = { schedule_type: "crontab", schedule: "0 * * * *" };

beforeAll(async () => {
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  for (const t of [A, B]) {
    tokens[t.org.slug] = (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "t", scopes: ["project:write"] })).token;
  }
});
afterAll(async () => {
  await standIn.close();
});

const create = (t: Tenant, slug: string, project: number = t.project.id) =>
  callApi("POST", `/api/0/organizations/${t.org.slug}/monitors/`, { token: tokens[t.org.slug], body: { project, name: slug, config } });

describe("the plan's number of monitors", () => {
  it("free allows one per org (over all its projects); the next is 403 saying so, and a paid plan allows more", async () => {
    expect((await create(B, "b-one")).status).toBe(201);
    expect((await create(A, "first")).status).toBe(201);
    const second = await db().project.create({ data: { orgId: A.org.id, slug: `other-${A.project.id}`, name: "Other" } });
    const refused = await create(A, "second", second.id);
    expect(refused.status).toBe(403);
    expect(refused.json().detail).toMatch(/plan allows 1 monitor/);
    expect(await db().monitor.count({ where: { orgId: A.org.id } })).toBe(1);

    await db().organization.update({ where: { id: A.org.id }, data: { plan: "team", subscriptionStatus: "active" } });
    expect((await create(A, "second", second.id)).status).toBe(201);
  });

  it("two creations at once cannot both take the last monitor", async () => {
    const t = await createOrgWithProject();
    tokens[t.org.slug] = (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "t", scopes: ["project:write"] })).token;
    const results = await Promise.all(["x1", "x2", "x3"].map((slug) => create(t, slug)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 403, 403]);
    expect(await db().monitor.count({ where: { orgId: t.org.id } })).toBe(1);
  });
});
