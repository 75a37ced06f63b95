import { billingEnabled, effectivePlan } from "../billing/plans";
import { unsafeLockedOrgPlan } from "../billing/seats";
import type { SqlTx, Tx } from "../db";
import { AppError } from "../errors";

// How many cron monitors an org may have: its plan's maxMonitors (lib/billing/plans.ts), all
// its projects together. Self-hosted (billing off) has no limit.

type OrgBilling = { plan: string; subscriptionStatus: string | null; pastDueSince: Date | null; onDemandBudgetCents: number };

/**
 * The org's monitor limit and how many it has (limit null = unlimited), for check-ins that
 * create a monitor. The org row is locked as unsafeLockedOrgPlan locks it, so two projects'
 * check-ins (or a check-in and the API) cannot both take the last monitor.
 */
export async function unsafeMonitorAllowance(
  tx: SqlTx,
  orgId: number,
  now = new Date(),
): Promise<{ allowed: boolean; limit: number | null; count: number }> {
  if (!billingEnabled()) return { allowed: true, limit: null, count: 0 };
  const [org] = await tx.rows<OrgBilling & { count: number }>`
    select plan, subscription_status as "subscriptionStatus", past_due_since as "pastDueSince",
           on_demand_budget_cents as "onDemandBudgetCents",
           (select count(*)::int from monitors where org_id = o.id) as count
    from organizations o where id = ${orgId} for no key update`;
  if (!org) return { allowed: false, limit: 0, count: 0 };
  const limit = effectivePlan(org, now.getTime()).maxMonitors;
  return { allowed: limit === null || org.count < limit, limit, count: org.count };
}

/**
 * Refuses one more monitor beyond the plan's limit (the API's create; check-ins creating a
 * monitor use unsafeMonitorAllowance and drop the check-in instead). Serialized on the org
 * row, so two creations at once cannot both take the last monitor.
 */
export async function unsafeAssertMonitorAllowed(tx: Tx, orgId: number, now = new Date()): Promise<void> {
  if (!billingEnabled()) return;
  const plan = await unsafeLockedOrgPlan(tx, orgId, now);
  if (plan.maxMonitors === null) return;
  const count = await tx.monitor.count({ where: { orgId } });
  if (count >= plan.maxMonitors) {
    const monitors = plan.maxMonitors === 1 ? "1 monitor" : `${plan.maxMonitors} monitors`;
    throw new AppError("forbidden", `the ${plan.name} plan allows ${monitors}: upgrade to add more`);
  }
}
