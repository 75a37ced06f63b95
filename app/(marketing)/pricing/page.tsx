import type { Metadata } from "next";
import Link from "next/link";
import { type Plan, formatCount, formatDollars } from "@/lib/billing/plans";
import { QUOTA_CATEGORIES } from "@/lib/ingest/quota-policy";
import {
  MAX_CALCULATOR_EVENTS,
  type QuotaAnswer,
  overagePer1000,
  parseEvents,
  planForVolume,
  plansByPrice,
  signUpHref,
} from "@/lib/marketing/pricing";
import { primaryButton, secondaryButton, textLink } from "../_components/buttons";

export const metadata: Metadata = {
  title: "Pricing",
  description: "Free to start, simple monthly plans, and free and unlimited when you host it yourself.",
};

type Props = { searchParams: Promise<{ events?: string | string[] }> };

// Every price and limit below comes from lib/billing/plans.ts (through lib/marketing/pricing).
export default async function PricingPage({ searchParams }: Props) {
  const plans = plansByPrice();
  const raw = (await searchParams).events;
  const parsed = parseEvents(raw);
  return (
    <main className="mx-auto max-w-6xl space-y-20 px-4 py-16">
      <div className="mx-auto max-w-2xl text-center">
        <h1 className="text-4xl font-bold tracking-tight text-slate-900">Pricing</h1>
        <p className="mt-4 text-lg text-slate-700">
          Start free. Pay for more errors, members and history when you need them. Or host it yourself: free
          and unlimited.
        </p>
      </div>

      <section aria-labelledby="plans-title">
        <h2 id="plans-title" className="sr-only">
          Plans
        </h2>
        <ul className="grid gap-6 md:grid-cols-2 lg:grid-cols-4">
          {plans.map((plan) => (
            <PlanCard key={plan.id} plan={plan} featured={plan.id === "team"} />
          ))}
          <li
            className="flex flex-col rounded-xl border border-slate-200 bg-slate-50 p-6"
            data-testid="plan-self-hosted"
          >
            <h3 className="text-lg font-semibold text-slate-900">Self-hosted</h3>
            <p className="mt-3">
              <span className="text-4xl font-bold tracking-tight text-slate-900">Free</span>
            </p>
            <p className="mt-1 text-sm text-slate-600">and unlimited</p>
            <ul className="mt-6 flex-1 space-y-2 text-sm text-slate-700">
              <li>Unlimited errors, members and projects</li>
              <li>Keep events as long as you like</li>
              <li>Every feature, alerts included, the same code as the hosted service</li>
              <li>Your servers, your data</li>
            </ul>
            <Link href="/docs/self-hosting" className={`${secondaryButton} mt-6`}>
              Self-hosting guide
            </Link>
          </li>
        </ul>
        <p className="mt-6 text-center text-sm text-slate-600">
          Every plan: unlimited projects, every official Sentry SDK, grouping, releases, alerts (email,
          webhooks, Slack and Discord), inbound filters, data scrubbing, spike protection and the REST API. Paid plans can add pay-as-you-go errors beyond the
          quota at {overagePer1000()} per 1,000.
        </p>
      </section>

      <section
        id="calculator"
        aria-labelledby="calculator-title"
        className="mx-auto max-w-2xl rounded-xl border border-slate-200 bg-white p-6 shadow-sm"
      >
        <h2 id="calculator-title" className="text-2xl font-bold tracking-tight text-slate-900">
          Which plan fits?
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          Enter how many errors your apps send a month; we'll name the cheapest plan that covers them.
        </p>
        <form method="get" action="/pricing#calculator" className="mt-4 flex flex-wrap items-end gap-3">
          <label className="block">
            <span className="text-sm font-medium text-slate-900">Error events per month</span>
            <input
              name="events"
              type="number"
              inputMode="numeric"
              min={0}
              max={MAX_CALCULATOR_EVENTS}
              step={1}
              required
              defaultValue={parsed && "events" in parsed ? parsed.events : undefined}
              placeholder="e.g. 20000"
              className="mt-1 block w-56 rounded-md border border-slate-400 px-3 py-2"
            />
          </label>
          <button type="submit" className={primaryButton}>
            Find my plan
          </button>
        </form>
        {parsed ? (
          <div
            role="status"
            className="mt-4 rounded-md bg-indigo-50 p-4 text-sm text-slate-900"
            data-testid="calculator-answer"
          >
            {"error" in parsed ? (
              <p className="text-red-800">{parsed.error}</p>
            ) : (
              <Answer answer={planForVolume(parsed.events)} />
            )}
          </div>
        ) : null}
      </section>

      <section aria-labelledby="faq-title" className="mx-auto max-w-3xl">
        <h2 id="faq-title" className="text-2xl font-bold tracking-tight text-slate-900">
          Questions
        </h2>
        <div className="mt-4 divide-y divide-slate-200 border-y border-slate-200">
          <Faq question="What counts as an error?">
            Events in the {QUOTA_CATEGORIES.join(" and ")} categories: exceptions and messages your SDK
            captures, and browser security (CSP) reports. Transactions, sessions, check-ins and client reports
            are accepted and never count (a plan limits the number of cron monitors, not their check-ins). Events your inbound filters drop don't count either.
          </Faq>
          <Faq question="What happens when we go over the quota?">
            Until the month ends (in UTC), errors beyond it are refused with HTTP 429 and{" "}
            <code className="font-mono">usage_exceeded</code>, which every Sentry SDK understands: your apps
            keep running and stop sending. On a paid plan you can set a pay-as-you-go budget (
            {overagePer1000()} per 1,000 errors) to keep receiving them. Spike protection keeps one runaway
            project from spending the whole month.
          </Faq>
          <Faq question="Are alerts a paid extra?">
            No. Every plan, the free one included, has alert rules on new issues, regressions and error
            frequency, delivered by email, webhooks, Slack and Discord, with a delivery log per rule.
          </Faq>
          <Faq question="Can we change or cancel our plan?">
            Yes, at any time, from Usage &amp; billing in your organization's settings. Payments are handled
            by Stripe. If a payment fails, your plan's limits stay for a grace period while you update the
            card; your data is kept.
          </Faq>
          <Faq question="How long are events kept?">
            {plans.map((p) => `${p.name}: ${p.retentionDays} days`).join(". ")}. Self-hosted: as long as you
            like.
          </Faq>
          <Faq question="Is self-hosting really free?">
            Yes. errorhub is open source; the self-hosted installation has billing off and no plan limits. See{" "}
            <Link href="/docs/self-hosting" className={textLink}>
              self-hosting
            </Link>
            .
          </Faq>
          <Faq question="Do we have to change our code?">
            No. Keep your Sentry SDK and its calls; change the DSN. The{" "}
            <Link href="/docs/migrating" className={textLink}>
              migration guide
            </Link>{" "}
            even copies your projects and their keys.
          </Faq>
        </div>
      </section>
    </main>
  );
}

function PlanCard({ plan, featured }: { plan: Plan; featured: boolean }) {
  const free = plan.priceCents === 0;
  return (
    <li
      className={`flex flex-col rounded-xl border bg-white p-6 ${featured ? "border-indigo-600 ring-1 ring-indigo-600" : "border-slate-200"}`}
      data-testid={`plan-${plan.id}`}
    >
      <h3 className="text-lg font-semibold text-slate-900">{plan.name}</h3>
      <p className="mt-3 flex items-baseline gap-1">
        <span className="text-4xl font-bold tracking-tight text-slate-900" data-testid={`price-${plan.id}`}>
          {formatDollars(plan.priceCents)}
        </span>
        <span className="text-sm text-slate-600">/month</span>
      </p>
      <p className="mt-1 text-sm text-slate-600">{free ? "forever, no credit card" : "billed monthly"}</p>
      <ul className="mt-6 flex-1 space-y-2 text-sm text-slate-700">
        <li data-testid={`errors-${plan.id}`}>{formatCount(plan.monthlyErrors)} errors a month</li>
        <li data-testid={`members-${plan.id}`}>
          {plan.maxMembers === null
            ? "Unlimited members"
            : `${plan.maxMembers} member${plan.maxMembers === 1 ? "" : "s"}`}
        </li>
        <li data-testid={`retention-${plan.id}`}>{plan.retentionDays}-day retention</li>
        <li data-testid={`alerts-${plan.id}`}>Alerts by email, webhook, Slack and Discord</li>
        <li data-testid={`monitors-${plan.id}`}>
          {plan.maxMonitors === null
            ? "Unlimited cron monitors"
            : `${plan.maxMonitors} cron monitor${plan.maxMonitors === 1 ? "" : "s"}`}
        </li>
        {plan.auditLogExport ? <li>Audit log export</li> : null}
        {free ? null : <li>Pay-as-you-go beyond the quota</li>}
      </ul>
      <Link href={signUpHref(plan)} className={`${featured ? primaryButton : secondaryButton} mt-6`}>
        {free ? "Start free" : `Choose ${plan.name}`}
      </Link>
    </li>
  );
}

function Answer({ answer }: { answer: QuotaAnswer }) {
  const events = `${formatCount(answer.events)} error${answer.events === 1 ? "" : "s"} a month`;
  if (answer.kind === "plan") {
    const { plan } = answer;
    return (
      <p>
        For {events}: <strong data-testid="calculator-plan">{plan.name}</strong>,{" "}
        {formatDollars(plan.priceCents)} a month ({formatCount(plan.monthlyErrors)} included).{" "}
        <Link href={signUpHref(plan)} className={textLink}>
          Start with {plan.name}
        </Link>
      </p>
    );
  }
  return (
    <p>
      For {events}: more than any plan includes.{" "}
      <strong data-testid="calculator-plan">{answer.plan.name}</strong> with pay-as-you-go for the other{" "}
      {formatCount(answer.extraEvents)} comes to about {formatDollars(answer.totalCents)} a month, or{" "}
      <Link href="/docs/self-hosting" className={textLink}>
        host it yourself
      </Link>{" "}
      for free.
    </p>
  );
}

function Faq({ question, children }: { question: string; children: React.ReactNode }) {
  return (
    <details className="group py-4">
      <summary className="cursor-pointer list-none font-medium text-slate-900 marker:hidden">
        <span
          className="mr-2 inline-block text-indigo-700 transition group-open:rotate-90"
          aria-hidden="true"
        >
          ›
        </span>
        {question}
      </summary>
      <p className="mt-2 pl-5 text-slate-700">{children}</p>
    </details>
  );
}
