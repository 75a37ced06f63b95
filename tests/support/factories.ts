import { randomBytes } from "node:crypto";
import type { PlanId } from "@/lib/billing/plans";
import { db } from "@/lib/db";

const unique = () => randomBytes(4).toString("hex");

/**
 * An org with one project and one active DSN key, owned by a new user (address verified); on
 * `plan` with an active subscription when given (Free otherwise).
 */
export async function createOrgWithProject(
  options: { filters?: object; rateLimit?: { count: number; window: number }; plan?: PlanId } = {},
) {
  const suffix = unique();
  const user = await db().user.create({ data: { email: `owner-${suffix}@example.com`, emailVerifiedAt: new Date() } });
  const org = await db().organization.create({
    data: {
      slug: `org-${suffix}`,
      name: `Org ${suffix}`,
      memberships: { create: { userId: user.id, role: "owner" } },
      ...(options.plan ? { plan: options.plan, subscriptionStatus: "active" } : {}),
    },
  });
  const project = await db().project.create({
    data: { orgId: org.id, slug: `project-${suffix}`, name: `Project ${suffix}`, filters: options.filters ?? {} },
  });
  const key = await createKey(project.id, options.rateLimit);
  return { user, org, project, key };
}

export async function createKey(projectId: number, rateLimit?: { count: number; window: number }) {
  return db().projectKey.create({
    data: {
      projectId,
      publicKey: randomBytes(16).toString("hex"),
      secretKey: randomBytes(16).toString("hex"),
      rateLimitCount: rateLimit?.count,
      rateLimitWindow: rateLimit?.window,
    },
  });
}
