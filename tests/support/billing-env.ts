import { randomBytes } from "node:crypto";
import { startStripeStandIn } from "./stripe-stand-in";

// Billing on, against a fresh Stripe stand-in. Import this module FIRST in a test file (before
// anything from lib/): lib/env.ts reads the environment once per process, at the first import
// that logs, and the stand-in's port must be in STRIPE_API_BASE by then. Imports run in order,
// so the top-level await below finishes before the next import is evaluated.

export const PRICES = { team: "price_team_monthly", business: "price_business_monthly", overage: "price_errors_overage" } as const;
export const METER_EVENT = "errorhub_error_events";

export const standIn = await startStripeStandIn();
export const webhookSecret = `whsec_${randomBytes(24).toString("base64url")}`;

/** The variables set here, for processes a test spawns. */
export const billingEnv: Record<string, string> = {
  STRIPE_SECRET_KEY: `sk_test_${randomBytes(12).toString("hex")}`,
  STRIPE_WEBHOOK_SECRET: webhookSecret,
  STRIPE_PRICE_TEAM: PRICES.team,
  STRIPE_PRICE_BUSINESS: PRICES.business,
  STRIPE_PRICE_OVERAGE: PRICES.overage,
  STRIPE_METER_EVENT_NAME: METER_EVENT,
  STRIPE_API_BASE: standIn.base,
  BILLING_PAST_DUE_GRACE_DAYS: "7",
};
Object.assign(process.env, billingEnv);
