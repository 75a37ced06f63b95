import { type BillingState, billingEnabled, monthlyErrorLimit } from "../billing/plans";
import { env } from "../env";

/** The event limits an organization's plan grants; null means unlimited. */
export type OrgLimits = {
  /** error events per calendar month (UTC), for the whole org */
  monthlyErrors: number | null;
  /** error events per hour for any one project (spike protection) */
  projectErrorsPerHour: number | null;
};

/** Data categories that count against the monthly quota and spike protection. */
export const QUOTA_CATEGORIES = ["error", "security"] as const;

/**
 * What ingest enforces for an org. With billing on (STRIPE_SECRET_KEY set), the org's plan
 * decides (plus its on-demand budget, minus what a lapsed payment takes away: see
 * lib/billing/plans.ts). Self-hosted, every org gets the configured default: unlimited when
 * DEFAULT_MONTHLY_ERROR_QUOTA is 0.
 */
export function limitsForOrg(org: BillingState, now = Date.now()): OrgLimits {
  const monthly = billingEnabled() ? monthlyErrorLimit(org, now) : env().DEFAULT_MONTHLY_ERROR_QUOTA || null;
  return { monthlyErrors: monthly, projectErrorsPerHour: spikeLimit(monthly) };
}

// Spike protection: one project may not use more than a twentieth of the month's quota in an
// hour, so a runaway loop in one app leaves the rest of the org with most of the month. An
// explicit SPIKE_PROTECTION_HOURLY_LIMIT overrides (and enables it without a quota).
function spikeLimit(monthly: number | null): number | null {
  const explicit = env().SPIKE_PROTECTION_HOURLY_LIMIT;
  if (explicit) return explicit;
  return monthly ? Math.max(100, Math.ceil(monthly / 20)) : null;
}
