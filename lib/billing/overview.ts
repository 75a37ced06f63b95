import { assertCan, can } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { limitsForOrg } from "../ingest/quota-policy";
import { monthUsage, usageStats } from "../usage/stats";
import {
  PAID_PLANS,
  PLANS,
  billingEnabled,
  effectivePlan,
  graceEndsAt,
  inGoodStanding,
  onDemandAvailable,
  onDemandEvents,
  periodBounds,
  periodOf,
  planOf,
  priceIdFor,
} from "./plans";

const DAY = 86_400_000;

/** Everything the usage & billing page shows, for viewers allowed to read billing. */
export async function billingOverview(viewer: Viewer, now = Date.now()) {
  assertCan(viewer.role, "billing:read");
  const org = await db().organization.findUniqueOrThrow({
    where: { id: viewer.orgId },
    select: {
      slug: true,
      plan: true,
      subscriptionStatus: true,
      currentPeriodEnd: true,
      pastDueSince: true,
      onDemandBudgetCents: true,
      stripeCustomerId: true,
    },
  });
  const today = Math.floor(now / DAY) * DAY;
  const [month, chart] = await Promise.all([
    monthUsage(viewer, now),
    usageStats(viewer, {
      start: new Date(today - 29 * DAY),
      end: new Date(today + DAY),
      fields: ["sum(quantity)"],
      groupBy: ["category", "outcome"],
      outcomes: ["accepted", "filtered", "rate_limited"],
    }),
  ]);
  const enabled = billingEnabled();
  return {
    enabled,
    onDemandAvailable: onDemandAvailable(),
    plan: planOf(org.plan),
    effectivePlan: effectivePlan(org, now),
    status: org.subscriptionStatus,
    currentPeriodEnd: org.currentPeriodEnd,
    graceEndsAt: graceEndsAt(org),
    inGoodStanding: inGoodStanding(org, now),
    hasCustomer: Boolean(org.stripeCustomerId),
    budgetCents: org.onDemandBudgetCents,
    budgetEvents: onDemandEvents(org.onDemandBudgetCents),
    quota: limitsForOrg(org, now).monthlyErrors,
    usage: month,
    resetsAt: periodBounds(periodOf(now)).end,
    chart,
    canManage: enabled && can(viewer.role, "billing:manage"),
    isOwner: viewer.role === "owner",
    upgrades: PAID_PLANS.filter((id) => Boolean(priceIdFor(id))).map((id) => PLANS[id]),
    plans: Object.values(PLANS),
  };
}

export type BillingOverview = Awaited<ReturnType<typeof billingOverview>>;
