import type { Metadata } from "next";
import Link from "next/link";
import { describeActionTarget } from "@/lib/alerts/describe";
import { listAlertDeliveries } from "@/lib/alerts/deliveries";
import { listAlertRules } from "@/lib/alerts/rules";
import { can } from "@/lib/auth/permissions";
import { TimeAgo } from "../../../../_components/issue-bits";
import { STATUS_CLASS, alertsContext } from "./load";
import { conditionName, filterName } from "@/lib/alerts/words";
import { frequencyWords } from "./words";

export const metadata: Metadata = { title: "Alerts" };
export const dynamic = "force-dynamic";

type Props = { params: Promise<{ org: string; project: string }> };

const joinWith = (parts: string[], match: string) =>
  match === "none" ? `none of: ${parts.join("; ")}` : parts.join(match === "any" ? " or " : " and ");

// Sentry's names start with a capital; here they continue a sentence.
const inSentence = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

export default async function AlertsPage({ params }: Props) {
  const { org, project: slug } = await params;
  const { viewer, project } = await alertsContext(org, slug);
  const rules = await listAlertRules(viewer, project.id);
  const lastDeliveries = await Promise.all(rules.map((r) => listAlertDeliveries(viewer, project.id, r.id, 1).then((d) => d[0] ?? null)));
  const base = `/${org}/projects/${slug}/alerts`;
  return (
    <main className="mx-auto max-w-3xl space-y-6 p-6">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold">{project.name}: alerts</h1>
        <Link href={`/${org}/projects/${slug}/settings`} className="text-sm text-indigo-700 hover:underline">
          Project settings
        </Link>
      </div>
      <p className="text-sm text-slate-600">
        Rules run on the events this project receives and tell you by email, webhook, Slack or Discord. New projects start
        with one: a new issue emails the project's members.
      </p>
      {can(viewer.role, "alerts:write") ? (
        <Link href={`${base}/new`} className="inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700">
          New alert rule
        </Link>
      ) : null}
      {rules.length === 0 ? (
        <p className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-600">
          No alert rules: nobody is told when something breaks. Every project gets a rule that emails its members about
          each new issue unless it was turned off at creation or deleted; create one to be alerted again.
        </p>
      ) : null}
      <ul className="space-y-3">
        {rules.map((rule, i) => {
          const last = lastDeliveries[i];
          return (
            <li key={rule.id} className="space-y-1 rounded-lg border border-slate-200 bg-white p-4 text-sm" data-testid={`rule-${rule.id}`}>
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <Link href={`${base}/${rule.id}`} className="text-base font-medium text-indigo-700 hover:underline">
                  {rule.name}
                </Link>
                <span className="text-slate-500">{rule.environment ? `environment ${rule.environment}` : "every environment"}</span>
              </div>
              <p>
                When {joinWith(rule.conditions.map((c) => inSentence(conditionName(c))), rule.actionMatch)}
                {rule.filters.length > 0 ? `, if ${joinWith(rule.filters.map((f) => inSentence(filterName(f))), rule.filterMatch)}` : ""}: at most once
                per issue every {frequencyWords(rule.frequency)}.
              </p>
              <p>Then: {rule.actions.map(describeActionTarget).join("; ")}</p>
              <p className="text-slate-600">
                Last delivery:{" "}
                {last ? (
                  <>
                    <span className={STATUS_CLASS[last.status]}>{last.status}</span>
                    {last.test ? " (test)" : ""} to {last.target}, <TimeAgo date={last.createdAt} />
                  </>
                ) : (
                  "none yet"
                )}
              </p>
            </li>
          );
        })}
      </ul>
    </main>
  );
}
