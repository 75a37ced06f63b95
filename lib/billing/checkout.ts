import { z } from "zod";
import { audit } from "../audit";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { env } from "../env";
import { AppError } from "../errors";
import { PAID_PLANS, type PaidPlanId, billingEnabled, onDemandAvailable, planOf, priceIdFor } from "./plans";
import { stripe } from "./stripe";

// Starting a subscription (Stripe Checkout) and managing it (the Billing Portal). Only owners
// and billing members (billing:manage) may; the org is always the viewer's own.

export const paidPlanSchema = z.enum(PAID_PLANS);

// A subscription in these states is the org's one subscription: changes go through the portal,
// never a second checkout (which would bill twice).
const LIVE_STATUSES = new Set(["active", "trialing", "past_due", "unpaid"]);

function assertBillingOn(): void {
  if (!billingEnabled()) throw new AppError("bad_request", "billing is disabled on this installation");
}

const billingUrl = (slug: string) => `${env().APP_URL}/${slug}/settings/billing`;

/**
 * The org's Stripe customer, created once. The row is locked while it is created, and the
 * request carries an idempotency key per org, so two clicks at once still make one customer.
 */
async function ensureStripeCustomer(orgId: number): Promise<string> {
  return db().$transaction(
    async (tx) => {
      const [org] = await tx.$queryRaw<{ stripe_customer_id: string | null; name: string; slug: string }[]>`
        select stripe_customer_id, name, slug from organizations where id = ${orgId} for update`;
      if (!org) throw new AppError("not_found", "no such organization");
      if (org.stripe_customer_id) return org.stripe_customer_id;
      const customer = await (await stripe()).customers.create(
        { name: org.name, metadata: { org_id: String(orgId), org_slug: org.slug } },
        { idempotencyKey: `errorhub-customer-org-${orgId}` },
      );
      await tx.organization.update({ where: { id: orgId }, data: { stripeCustomerId: customer.id } });
      return customer.id;
    },
    // Stripe answers in well under a second; the bound covers its client's retries.
    { timeout: 60_000 },
  );
}

/** A Checkout session for a paid plan; the caller redirects the browser to its URL. */
export async function startCheckout(viewer: Viewer, plan: PaidPlanId): Promise<{ url: string; sessionId: string }> {
  assertCan(viewer.role, "billing:manage");
  assertBillingOn();
  const wanted = paidPlanSchema.parse(plan);
  const price = priceIdFor(wanted);
  if (!price) throw new AppError("bad_request", `the ${planOf(wanted).name} plan is not available`);
  const org = await db().organization.findUniqueOrThrow({
    where: { id: viewer.orgId },
    select: { slug: true, plan: true, subscriptionStatus: true, stripeSubscriptionId: true },
  });
  if (org.stripeSubscriptionId && LIVE_STATUSES.has(org.subscriptionStatus ?? "")) {
    throw new AppError("conflict", "this organization already has a subscription: use Manage billing to change plans");
  }
  const customer = await ensureStripeCustomer(viewer.orgId);
  const overage = env().STRIPE_PRICE_OVERAGE;
  const session = await (await stripe()).checkout.sessions.create({
    mode: "subscription",
    customer,
    client_reference_id: String(viewer.orgId),
    // Metered prices take no quantity: Stripe bills what the meter recorded.
    line_items: [{ price, quantity: 1 }, ...(overage ? [{ price: overage }] : [])],
    subscription_data: { metadata: { org_id: String(viewer.orgId) } },
    metadata: { org_id: String(viewer.orgId), plan: wanted },
    success_url: `${billingUrl(org.slug)}?checkout=success`,
    cancel_url: `${billingUrl(org.slug)}?checkout=canceled`,
  });
  if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a URL`);
  await audit(viewer, { action: "billing.checkout_started", targetType: "organization", targetId: viewer.orgId, data: { plan: wanted, session: session.id } });
  return { url: session.url, sessionId: session.id };
}

/** A Billing Portal session (change plan, payment method, invoices, cancel). */
export async function openBillingPortal(viewer: Viewer): Promise<{ url: string }> {
  assertCan(viewer.role, "billing:manage");
  assertBillingOn();
  const org = await db().organization.findUniqueOrThrow({ where: { id: viewer.orgId }, select: { slug: true } });
  const customer = await ensureStripeCustomer(viewer.orgId);
  const session = await (await stripe()).billingPortal.sessions.create({ customer, return_url: billingUrl(org.slug) });
  return { url: session.url };
}

export const MAX_ON_DEMAND_BUDGET_CENTS = 1_000_000_00;

export const budgetSchema = z.coerce
  .number({ message: "enter an amount in dollars" })
  .min(0, "the budget cannot be negative")
  .max(MAX_ON_DEMAND_BUDGET_CENTS / 100, "contact us for budgets above $1,000,000")
  .transform((dollars) => Math.round(dollars * 100));

/**
 * Sets the org's monthly pay-as-you-go budget (owners only: it spends money without asking
 * again). Ingest sees the larger quota within seconds; the report-overage job bills usage
 * beyond the plan's quota, up to this budget.
 */
export async function setOnDemandBudget(viewer: Viewer, budgetCents: number): Promise<void> {
  if (viewer.role !== "owner") throw new AppError("forbidden", "only an owner may set the on-demand budget");
  if (!onDemandAvailable()) throw new AppError("bad_request", "pay-as-you-go is not available on this installation");
  const cents = z.number().int().min(0).max(MAX_ON_DEMAND_BUDGET_CENTS).parse(budgetCents);
  await db().$transaction(async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: viewer.orgId }, select: { plan: true, onDemandBudgetCents: true } });
    if (cents > 0 && planOf(before.plan).id === "free") throw new AppError("bad_request", "pay-as-you-go needs a paid plan: upgrade first");
    if (before.onDemandBudgetCents === cents) return;
    await tx.organization.update({ where: { id: viewer.orgId }, data: { onDemandBudgetCents: cents } });
    await audit(viewer, { action: "billing.on_demand_budget", targetType: "organization", targetId: viewer.orgId, data: { from: before.onDemandBudgetCents, to: cents } }, tx);
  });
}
