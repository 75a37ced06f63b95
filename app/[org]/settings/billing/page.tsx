import type { Metadata } from "next";
import { can } from "@/lib/auth/permissions";
import { billingOverview } from "@/lib/billing/overview";
import { OVERAGE_CENTS_PER_1000_ERRORS, formatCount, formatDollars } from "@/lib/billing/plans";
import { requireViewer } from "../../../(auth)/session";
import { ActionForm } from "../../../_components/action-form";
import { budgetAction, checkoutAction, portalAction } from "./actions";
import { UsageChart } from "./usage-chart";

export const metadata: Metadata = { title: "Usage & billing" };
export const dynamic = "force-dynamic";

const date = (d: Date) => d.toISOString().slice(0, 10);

const STATUS_TEXT: Record<string, string> = {
  active: "Active",
  trialing: "Trial",
  past_due: "Payment failed",
  unpaid: "Unpaid",
  canceled: "Canceled",
  incomplete: "Waiting for the first payment",
  incomplete_expired: "Checkout expired",
  paused: "Paused",
};

export default async function BillingPage({ params, searchParams }: { params: Promise<{ org: string }>; searchParams: Promise<{ checkout?: string }> }) {
  const { org } = await params;
  const viewer = await requireViewer(org);
  if (!can(viewer.role, "billing:read")) {
    return <main className="p-6 text-slate-600">Only owners, admins and billing members can see usage and billing.</main>;
  }
  const o = await billingOverview(viewer);
  const { checkout } = await searchParams;
  // Only an upgrade from Free goes through Checkout; a live subscription changes in the portal.
  const chosen = o.enabled && o.plan.id === "free" ? o.upgrades.find((plan) => plan.id === checkout) : undefined;
  const pct = o.quota ? Math.min(100, Math.round((o.usage.accepted / o.quota) * 100)) : null;
  return (
    <main className="mx-auto max-w-4xl space-y-8 p-6">
      <h1 className="text-2xl font-semibold">Usage &amp; billing</h1>
      {checkout === "success" ? (
        <p role="status" className="rounded bg-green-50 p-3 text-sm text-green-800">
          Thank you! Your plan changes as soon as Stripe confirms the payment (usually within seconds).
        </p>
      ) : null}

      {chosen && o.canManage ? (
        // Arriving from sign-up with a paid plan chosen on the pricing page: one click to pay.
        <section className="space-y-2 rounded-lg border border-indigo-300 bg-indigo-50 p-4" data-testid="chosen-plan">
          <p className="text-sm">
            You chose the <strong>{chosen.name}</strong> plan: {formatCount(chosen.monthlyErrors)} errors a month for{" "}
            {formatDollars(chosen.priceCents)}/month.
          </p>
          <ActionForm action={checkoutAction.bind(null, org)} submit="Continue to payment">
            <input type="hidden" name="plan" value={chosen.id} />
          </ActionForm>
        </section>
      ) : null}

      {o.enabled ? (
        <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-4" data-testid="plan">
          <h2 className="text-lg font-medium">
            Plan: <span data-testid="plan-name">{o.plan.name}</span>
            {o.status ? <span className="ml-2 text-sm font-normal text-slate-600">({STATUS_TEXT[o.status] ?? o.status})</span> : null}
          </h2>
          {o.currentPeriodEnd ? <p className="text-sm text-slate-600">Current period ends {date(o.currentPeriodEnd)}.</p> : null}
          {o.graceEndsAt ? (
            <p role="alert" className="text-sm text-red-700">
              {o.effectivePlan.id === o.plan.id
                ? `Your last payment failed. Update your payment method before ${date(o.graceEndsAt)} to keep the ${o.plan.name} plan's limits.`
                : `Your payment is overdue: the Free plan's limits apply until it is paid. Your data is kept.`}
            </p>
          ) : null}
          <p className="text-sm">
            {formatCount(o.plan.monthlyErrors)} errors a month · {o.plan.maxMembers === null ? "unlimited members" : `${o.plan.maxMembers} member`} ·{" "}
            {o.plan.retentionDays}-day retention{o.plan.auditLogExport ? " · audit log export" : ""}
          </p>
          {o.canManage ? (
            <div className="flex flex-wrap gap-3 pt-2">
              {/* A live subscription changes plan in the portal, never through a second checkout. */}
              {o.plan.id === "free"
                ? o.upgrades.map((plan) => (
                    <ActionForm key={plan.id} action={checkoutAction.bind(null, org)} submit={`Upgrade to ${plan.name} (${formatDollars(plan.priceCents)}/month)`}>
                      <input type="hidden" name="plan" value={plan.id} />
                    </ActionForm>
                  ))
                : null}
              {o.hasCustomer ? <ActionForm action={portalAction.bind(null, org)} submit="Manage billing" /> : null}
            </div>
          ) : null}
        </section>
      ) : (
        <p className="rounded bg-slate-100 p-3 text-sm text-slate-700" data-testid="billing-disabled">
          Billing is disabled on this self-hosted installation: no plan limits apply.
        </p>
      )}

      <section className="space-y-2" data-testid="month-usage">
        <h2 className="text-lg font-medium">This month</h2>
        <p className="text-sm">
          <span data-testid="month-accepted">{formatCount(o.usage.accepted)}</span>
          {o.quota ? (
            <>
              {" "}
              of <span data-testid="month-quota">{formatCount(o.quota)}</span> errors ({pct}%), resets {date(o.resetsAt)}
            </>
          ) : (
            " errors (no quota)"
          )}
          {o.usage.rateLimited > 0 ? (
            <span className="ml-2 text-red-700">
              · <span data-testid="month-rate-limited">{formatCount(o.usage.rateLimited)}</span> dropped over quota or rate limits
            </span>
          ) : null}
        </p>
        {pct !== null ? (
          <div className="h-2 w-full rounded bg-slate-200">
            <div className={`h-2 rounded ${pct >= 100 ? "bg-red-600" : pct >= 80 ? "bg-amber-500" : "bg-indigo-600"}`} style={{ width: `${pct}%` }} />
          </div>
        ) : null}
      </section>

      {o.onDemandAvailable && o.plan.id !== "free" ? (
        <section className="space-y-2">
          <h2 className="text-lg font-medium">On-demand budget</h2>
          <p className="text-sm text-slate-600">
            Keep receiving errors past the plan's quota: {formatDollars(OVERAGE_CENTS_PER_1000_ERRORS)} per 1,000 errors, up to this much a month. Currently{" "}
            <span data-testid="budget">{formatDollars(o.budgetCents)}</span> ({formatCount(o.budgetEvents)} extra errors).
          </p>
          {o.isOwner ? (
            <ActionForm action={budgetAction.bind(null, org)} submit="Save budget" className="flex items-end gap-3">
              <label className="block">
                <span className="text-sm font-medium">Monthly budget (USD)</span>
                <input name="budget" type="number" min={0} step="1" defaultValue={o.budgetCents / 100} className="mt-1 block w-40 rounded-md border border-slate-300 px-3 py-2" />
              </label>
            </ActionForm>
          ) : (
            <p className="text-sm text-slate-600">Only an owner can change it.</p>
          )}
        </section>
      ) : null}

      <section className="space-y-3">
        <h2 className="text-lg font-medium">Last 30 days</h2>
        <UsageChart chart={o.chart} />
      </section>
    </main>
  );
}
