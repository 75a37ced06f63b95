import {
  OVERAGE_CENTS_PER_1000_ERRORS,
  PAID_PLANS,
  PLANS,
  type PaidPlanId,
  type Plan,
  formatCount,
  formatDollars,
  overageCostCents,
} from "../billing/plans";

// What the pricing page says, computed from the one plan table (lib/billing/plans.ts): no price
// or limit is written down a second time.

/** Plans from cheapest to dearest. */
export function plansByPrice(): Plan[] {
  return Object.values(PLANS).sort(
    (a, b) => a.priceCents - b.priceCents || a.monthlyErrors - b.monthlyErrors,
  );
}

export function isPaidPlan(id: string): id is PaidPlanId {
  return (PAID_PLANS as readonly string[]).includes(id);
}

/** Where a plan's button on the pricing page leads: paid plans carry their id through sign-up. */
export function signUpHref(plan: Plan): string {
  return isPaidPlan(plan.id) ? `/sign-up?plan=${plan.id}` : "/sign-up";
}

export type QuotaAnswer =
  | { kind: "plan"; plan: Plan; events: number }
  /** more than any plan includes: the largest plan plus pay-as-you-go for the rest */
  | { kind: "overage"; plan: Plan; events: number; extraEvents: number; totalCents: number };

/** Most a person may type into the calculator; beyond it the answer is "talk to us or self-host". */
export const MAX_CALCULATOR_EVENTS = 1_000_000_000;

/** The cheapest plan whose monthly quota covers `events` error events a month. */
export function planForVolume(events: number): QuotaAnswer {
  const wanted = Math.max(0, Math.ceil(events));
  const plans = plansByPrice();
  const fits = plans.find((p) => p.monthlyErrors >= wanted);
  if (fits) return { kind: "plan", plan: fits, events: wanted };
  const largest = plans.reduce((a, b) => (b.monthlyErrors > a.monthlyErrors ? b : a));
  const extraEvents = wanted - largest.monthlyErrors;
  return {
    kind: "overage",
    plan: largest,
    events: wanted,
    extraEvents,
    totalCents: largest.priceCents + overageCostCents(extraEvents),
  };
}

/** Parses the calculator's `?events=` (what a person typed: "50000", "50,000", " 1e5 "). */
export function parseEvents(
  raw: string | string[] | undefined,
): { events: number } | { error: string } | null {
  const text = (Array.isArray(raw) ? raw[0] : raw)?.replaceAll(/[\s,_]/g, "");
  if (text === undefined || text === "") return null;
  const events = Number(text);
  if (!Number.isFinite(events) || events < 0) return { error: "Enter a number of events, 0 or more." };
  if (events > MAX_CALCULATOR_EVENTS)
    return { error: `Above ${formatCount(MAX_CALCULATOR_EVENTS)} a month, talk to us or self-host.` };
  return { events: Math.ceil(events) };
}

export const overagePer1000 = () => formatDollars(OVERAGE_CENTS_PER_1000_ERRORS);
