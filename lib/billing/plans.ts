import { env } from "../env";

// The one plan table. Ingest (quotas), members (seats), the retention job, the usage page and
// checkout all read it from here. Kept free of the Stripe client: ingest imports it.

export type PlanId = "free" | "team" | "business";

export type Plan = {
  id: PlanId;
  name: string;
  /** error events per calendar month (UTC) for the whole org */
  monthlyErrors: number;
  /** transactions per calendar month (UTC) for the whole org */
  monthlyTransactions: number;
  /** attachment bytes per calendar month (UTC) for the whole org */
  monthlyAttachmentBytes: number;
  /** members an org may have; null = unlimited */
  maxMembers: number | null;
  /** cron monitors an org may have (all its projects); null = unlimited */
  maxMonitors: number | null;
  /** days events and issues are kept */
  retentionDays: number;
  /** monthly price in cents, for display; Stripe's price decides what is charged */
  priceCents: number;
  auditLogExport: boolean;
};

const GB = 1024 ** 3;

// Transactions and attachment storage as Sentry's plans grant them (10k/100k transactions,
// 1 GB of attachments a month). Monitors: Sentry's free plan has one cron monitor and sells
// more per monitor; the paid plans here include a number of them.
export const PLANS: Record<PlanId, Plan> = {
  free: {
    id: "free",
    name: "Free",
    monthlyErrors: 5_000,
    monthlyTransactions: 10_000,
    monthlyAttachmentBytes: GB,
    maxMembers: 1,
    maxMonitors: 1,
    retentionDays: 30,
    priceCents: 0,
    auditLogExport: false,
  },
  team: {
    id: "team",
    name: "Team",
    monthlyErrors: 50_000,
    monthlyTransactions: 100_000,
    monthlyAttachmentBytes: GB,
    maxMembers: null,
    maxMonitors: 20,
    retentionDays: 90,
    priceCents: 2_600,
    auditLogExport: false,
  },
  business: {
    id: "business",
    name: "Business",
    monthlyErrors: 100_000,
    monthlyTransactions: 100_000,
    monthlyAttachmentBytes: GB,
    maxMembers: null,
    maxMonitors: 100,
    retentionDays: 90,
    priceCents: 8_000,
    auditLogExport: true,
  },
};

export const PAID_PLANS = ["team", "business"] as const satisfies readonly PlanId[];
export type PaidPlanId = (typeof PAID_PLANS)[number];

/** Pay-as-you-go: what 1,000 error events beyond the plan's quota cost, in cents. */
export const OVERAGE_CENTS_PER_1000_ERRORS = 30;

/** Billing is on when a Stripe key is configured (the hosted service); self-hosted, it is off. */
export function billingEnabled(): boolean {
  return Boolean(env().STRIPE_SECRET_KEY);
}

/** On-demand budgets need a meter to report overage to. */
export function onDemandAvailable(): boolean {
  return billingEnabled() && Boolean(env().STRIPE_METER_EVENT_NAME);
}

export function isPlanId(value: string): value is PlanId {
  return Object.hasOwn(PLANS, value);
}

/** The plan of a stored plan id; an unknown id (a plan since retired) counts as free. */
export function planOf(id: string): Plan {
  return isPlanId(id) ? PLANS[id] : PLANS.free;
}

export function priceIdFor(plan: PaidPlanId): string | undefined {
  return plan === "team" ? env().STRIPE_PRICE_TEAM : env().STRIPE_PRICE_BUSINESS;
}

/** The paid plan a Stripe price id stands for, or null for any other price (e.g. overage). */
export function planForPriceId(priceId: string): PaidPlanId | null {
  return PAID_PLANS.find((plan) => priceIdFor(plan) === priceId) ?? null;
}

/** Error events an on-demand budget buys in a month. */
export function onDemandEvents(budgetCents: number): number {
  return Math.floor((Math.max(0, budgetCents) * 1000) / OVERAGE_CENTS_PER_1000_ERRORS);
}

/** What a number of overage events costs, in cents (rounded up). */
export function overageCostCents(events: number): number {
  return Math.ceil((Math.max(0, events) * OVERAGE_CENTS_PER_1000_ERRORS) / 1000);
}

/** The org's billing fields that decide what it is entitled to. */
export type BillingState = {
  plan: string;
  subscriptionStatus: string | null;
  pastDueSince: Date | null;
  onDemandBudgetCents: number;
};

const GOOD_STANDING = new Set(["active", "trialing"]);
const PAST_DUE = new Set(["past_due", "unpaid"]);

/** When a past-due org's grace period ends (null when it is not past due). */
export function graceEndsAt(org: Pick<BillingState, "subscriptionStatus" | "pastDueSince">): Date | null {
  if (!org.pastDueSince || !PAST_DUE.has(org.subscriptionStatus ?? "")) return null;
  return new Date(org.pastDueSince.getTime() + env().BILLING_PAST_DUE_GRACE_DAYS * 86_400_000);
}

/**
 * The plan whose limits apply now: the subscribed plan, except that a subscription past due
 * for longer than the grace period gets the free plan's limits until it is paid (its data and
 * retention stay as they were: see retentionPlan).
 */
export function effectivePlan(org: BillingState, now = Date.now()): Plan {
  const plan = planOf(org.plan);
  const graceEnd = graceEndsAt(org);
  if (graceEnd && now >= graceEnd.getTime()) return PLANS.free;
  return plan;
}

/** The plan whose retention applies: the subscribed one, even during a payment problem. */
export function retentionPlan(org: Pick<BillingState, "plan">): Plan {
  return planOf(org.plan);
}

/** Whether the org's paid subscription is in good standing (on-demand budgets apply only then). */
export function inGoodStanding(org: BillingState, now = Date.now()): boolean {
  if (planOf(org.plan).id === "free") return false;
  if (GOOD_STANDING.has(org.subscriptionStatus ?? "")) return true;
  const graceEnd = graceEndsAt(org);
  return graceEnd !== null && now < graceEnd.getTime();
}

/** The org's monthly error limit under billing: the plan's quota plus what the budget buys. */
export function monthlyErrorLimit(org: BillingState, now = Date.now()): number {
  const plan = effectivePlan(org, now);
  const onDemand = onDemandAvailable() && inGoodStanding(org, now) ? onDemandEvents(org.onDemandBudgetCents) : 0;
  return plan.monthlyErrors + onDemand;
}

/** Whether the org's plan includes a feature; self-hosted (billing off), every feature is on. */
export function planAllows(org: BillingState, feature: "auditLogExport", now = Date.now()): boolean {
  return !billingEnabled() || effectivePlan(org, now)[feature];
}

/** The UTC month (YYYY-MM) quotas, notices and overage are counted in. */
export function periodOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** First instant of a period and of the next one. */
export function periodBounds(period: string): { start: Date; end: Date } {
  const [year, month] = period.split("-").map(Number) as [number, number];
  return { start: new Date(Date.UTC(year, month - 1, 1)), end: new Date(Date.UTC(year, month, 1)) };
}

/** "$26", "$0", "$12.50": a price in cents as the pricing and billing pages show it. */
export function formatDollars(cents: number): string {
  const dollars = cents / 100;
  return `$${dollars.toLocaleString("en-US", { minimumFractionDigits: cents % 100 ? 2 : 0, maximumFractionDigits: 2 })}`;
}

/** "50,000": an event count as the pricing and billing pages show it. */
export const formatCount = (n: number) => n.toLocaleString("en-US");
