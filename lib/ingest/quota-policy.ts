import { env } from "../env";

/** The event limits an organization's plan grants; null means unlimited. */
export type OrgLimits = {
  /** error events per calendar month (UTC), for the whole org */
  monthlyErrors: number | null;
  /** error events per hour for any one project (spike protection) */
  projectErrorsPerHour: number | null;
};

/**
 * The seam billing plugs into: plans will come from lib/billing/plans.ts. Until then every
 * org gets the configured default (unlimited when DEFAULT_MONTHLY_ERROR_QUOTA is 0, as a
 * self-hosted install should be).
 */
export function limitsForPlan(_plan: string): OrgLimits {
  const monthly = env().DEFAULT_MONTHLY_ERROR_QUOTA || null;
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
