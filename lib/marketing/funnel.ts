import { viewerForOrg } from "../auth/viewer";
import { startCheckout } from "../billing/checkout";
import { type PaidPlanId, billingEnabled } from "../billing/plans";
import { logger } from "../logger";
import { isPaidPlan } from "./pricing";

// Where the sign-up funnel sends a person. A paid plan picked on the pricing page travels as
// `?plan=<id>` (the sign-up form's hidden input, or Clerk's redirect URL) to the billing page,
// which starts Stripe Checkout for it. Self-hosted (billing off) there is nothing to pay: the
// plan is ignored.

/** The paid plan a `?plan=` asks for, when checkout can happen here; null otherwise. */
export function checkoutPlan(plan: string | null | undefined): PaidPlanId | null {
  return plan && isPaidPlan(plan) && billingEnabled() ? plan : null;
}

/** The billing page that continues to payment for a plan. */
export const checkoutPath = (orgSlug: string, plan: string) =>
  `/${orgSlug}/settings/billing?checkout=${plan}`;

/**
 * Right after a built-in account is created: straight to Stripe Checkout for a paid plan (the
 * new owner's org), else to the first project. Should Checkout not start, the billing page
 * offers it again; the account exists either way.
 */
export async function afterSignUpUrl(userId: number, orgSlug: string, plan: string | null | undefined): Promise<string> {
  const paid = checkoutPlan(plan);
  if (!paid) return `/${orgSlug}/projects/new`;
  const viewer = await viewerForOrg(userId, orgSlug);
  if (!viewer) return checkoutPath(orgSlug, paid);
  try {
    return (await startCheckout(viewer, paid)).url;
  } catch (error) {
    logger.error({ err: error, orgSlug, plan: paid }, "checkout after sign-up did not start");
    return checkoutPath(orgSlug, paid);
  }
}

/** `/` for someone signed in: their org, or its billing page when they came with a paid plan. */
export function homePath(orgSlug: string, plan: string | null | undefined): string {
  const paid = checkoutPlan(plan);
  return paid ? checkoutPath(orgSlug, paid) : `/${orgSlug}`;
}
