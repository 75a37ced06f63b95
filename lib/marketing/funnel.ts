import { type PaidPlanId, billingEnabled } from "../billing/plans";
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

/** Right after a built-in account is created: payment for a paid plan, else the first project. */
export function afterSignUpPath(orgSlug: string, plan: string | null | undefined): string {
  const paid = checkoutPlan(plan);
  return paid ? checkoutPath(orgSlug, paid) : `/${orgSlug}/projects/new`;
}

/** `/` for someone signed in: their org, or its billing page when they came with a paid plan. */
export function homePath(orgSlug: string, plan: string | null | undefined): string {
  const paid = checkoutPlan(plan);
  return paid ? checkoutPath(orgSlug, paid) : `/${orgSlug}`;
}
