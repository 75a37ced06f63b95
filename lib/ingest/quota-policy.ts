import { type BillingState, billingEnabled, effectivePlan, monthlyErrorLimit } from "../billing/plans";
import { env } from "../env";
import { LIMITS } from "../protocol/limits";
import type { DataCategory } from "../usage/outcome-values";

/** The limits an organization's plan grants; null means unlimited. */
export type OrgLimits = {
  /** error events per calendar month (UTC), for the whole org */
  monthlyErrors: number | null;
  /** error events per hour for any one project (spike protection) */
  projectErrorsPerHour: number | null;
  monthlyTransactions: number | null;
  projectTransactionsPerHour: number | null;
  /** attachment bytes per calendar month (UTC) */
  monthlyAttachmentBytes: number | null;
  projectAttachmentBytesPerHour: number | null;
};

/** Data categories that count against the monthly error quota and its spike protection. */
export const QUOTA_CATEGORIES = ["error", "security"] as const;

/**
 * How ingest meters an item of a category: not at all (client reports, SDK bookkeeping), against
 * the key's rate limit only, or also against one of the org's monthly quotas (and the project's
 * hourly spike limit of it). Numbers, because the accept script reads them per item.
 */
export const METER = { none: -1, keyOnly: 0, errors: 1, transactions: 2, attachments: 3 } as const;
export type Meter = (typeof METER)[keyof typeof METER];

export function meterOf(category: DataCategory): Meter {
  switch (category) {
    case "error":
    case "security":
      return METER.errors;
    case "transaction":
      return METER.transactions;
    case "attachment":
      return METER.attachments;
    case "internal":
      return METER.none;
    default:
      return METER.keyOnly;
  }
}

/**
 * What ingest enforces for an org. With billing on (STRIPE_SECRET_KEY set), the org's plan
 * decides (plus, for errors, its on-demand budget, minus what a lapsed payment takes away: see
 * lib/billing/plans.ts). Self-hosted, every org gets the configured defaults: unlimited when
 * DEFAULT_MONTHLY_*_QUOTA is 0.
 */
export function limitsForOrg(org: BillingState, now = Date.now()): OrgLimits {
  let errors: number | null;
  let transactions: number | null;
  let attachmentBytes: number | null;
  if (billingEnabled()) {
    const plan = effectivePlan(org, now);
    errors = monthlyErrorLimit(org, now);
    transactions = plan.monthlyTransactions;
    attachmentBytes = plan.monthlyAttachmentBytes;
  } else {
    errors = env().DEFAULT_MONTHLY_ERROR_QUOTA || null;
    transactions = env().DEFAULT_MONTHLY_TRANSACTION_QUOTA || null;
    attachmentBytes = env().DEFAULT_MONTHLY_ATTACHMENT_MB * 1024 * 1024 || null;
  }
  return {
    monthlyErrors: errors,
    projectErrorsPerHour: spikeLimit(errors),
    monthlyTransactions: transactions,
    projectTransactionsPerHour: transactions && Math.max(100, Math.ceil(transactions / 20)),
    monthlyAttachmentBytes: attachmentBytes,
    // at least the largest body ingest takes, or one attachment could never pass it
    projectAttachmentBytesPerHour: attachmentBytes && Math.max(LIMITS.decompressedBytes, Math.ceil(attachmentBytes / 20)),
  };
}

// Spike protection: one project may not use more than a twentieth of the month's quota in an
// hour, so a runaway loop in one app leaves the rest of the org with most of the month. An
// explicit SPIKE_PROTECTION_HOURLY_LIMIT overrides (and enables it without a quota).
function spikeLimit(monthly: number | null): number | null {
  const explicit = env().SPIKE_PROTECTION_HOURLY_LIMIT;
  if (explicit) return explicit;
  return monthly ? Math.max(100, Math.ceil(monthly / 20)) : null;
}
