import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { listAlertDeliveries } from "@/lib/alerts/deliveries";
import { getAlertRule } from "@/lib/alerts/rules";
import { can } from "@/lib/auth/permissions";
import { listMembers } from "@/lib/members";
import { listEnvironments } from "@/lib/projects/environments";
import { ActionForm } from "../../../../../_components/action-form";
import { deleteRuleAction, testRuleAction, updateRuleAction } from "../actions";
import { STATUS_CLASS, alertsContext, memberOption, notFoundOnAppError } from "../load";
import { RuleFields } from "../rule-form";
import { TestNotification } from "../test-button";

export const metadata: Metadata = { title: "Alert rule" };
export const dynamic = "force-dynamic";

type Props = { params: Promise<{ org: string; project: string; id: string }> };

const time = (date: Date) => date.toISOString().replace("T", " ").slice(0, 19);

export default async function AlertRulePage({ params }: Props) {
  const { org, project: slug, id } = await params;
  if (!/^\d{1,9}$/.test(id)) notFound();
  const ruleId = Number(id);
  const { viewer, project } = await alertsContext(org, slug);
  const rule = await getAlertRule(viewer, project.id, ruleId).catch(notFoundOnAppError);
  const [deliveries, members, environments] = await Promise.all([
    listAlertDeliveries(viewer, project.id, ruleId, 50),
    listMembers(viewer),
    listEnvironments(viewer),
  ]);
  const editable = can(viewer.role, "alerts:write");
  return (
    <main className="mx-auto max-w-4xl space-y-8 p-6">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold">Alert rule: {rule.name}</h1>
        <Link href={`/${org}/projects/${slug}/alerts`} className="text-sm text-indigo-700 hover:underline">
          All alert rules
        </Link>
      </div>
      <p className="text-sm text-slate-600">
        {project.name}
        {rule.owner ? ` · created by ${rule.owner.name || rule.owner.email}` : ""} · updated {time(rule.updatedAt)} UTC
      </p>

      {editable ? (
        <section className="space-y-3">
          <h2 className="text-lg font-medium">Test</h2>
          <p className="text-sm text-slate-600">Sends a sample now to each of the rule's actions, as saved.</p>
          <TestNotification action={testRuleAction.bind(null, org, slug, project.id, ruleId)} />
        </section>
      ) : null}

      <section className="space-y-3">
        <h2 className="text-lg font-medium">Delivery log</h2>
        {deliveries.length === 0 ? (
          <p className="text-sm text-slate-600">Nothing sent yet.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" aria-label="Delivery log">
              <thead className="border-b border-slate-200 text-slate-600">
                <tr>
                  <th className="py-1 pr-3 font-medium">Time (UTC)</th>
                  <th className="py-1 pr-3 font-medium">Target</th>
                  <th className="py-1 pr-3 font-medium">Status</th>
                  <th className="py-1 pr-3 font-medium">Attempts</th>
                  <th className="py-1 pr-3 font-medium">Last answer</th>
                  <th className="py-1 font-medium">Issue</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr key={d.id} className="border-b border-slate-100 align-top">
                    <td className="py-1 pr-3 whitespace-nowrap">{time(d.createdAt)}</td>
                    <td className="py-1 pr-3">{d.target}</td>
                    <td className={`py-1 pr-3 ${STATUS_CLASS[d.status] ?? ""}`}>
                      {d.status}
                      {d.test ? " (test)" : ""}
                    </td>
                    <td className="py-1 pr-3 tabular-nums">{d.attempts}</td>
                    <td className="py-1 pr-3">
                      {d.lastStatus !== null ? `HTTP ${d.lastStatus}` : ""}
                      {d.lastStatus !== null && d.lastError ? ": " : ""}
                      {d.lastError ?? ""}
                    </td>
                    <td className="py-1">
                      {d.issue ? (
                        <Link href={`/${org}/issues/${d.issue.id}`} className="text-indigo-700 hover:underline">
                          {d.issue.shortId} {d.issue.title}
                        </Link>
                      ) : (
                        "sample"
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {editable ? (
        <section className="space-y-3">
          <h2 className="text-lg font-medium">Edit</h2>
          <ActionForm keepInput className="space-y-4" action={updateRuleAction.bind(null, org, slug, project.id, ruleId)} submit="Save rule">
            <RuleFields values={rule} environments={environments} members={members.map(memberOption)} />
          </ActionForm>
        </section>
      ) : null}

      {editable ? (
        <section className="space-y-3 rounded-lg border border-red-200 bg-red-50 p-4">
          <h2 className="text-lg font-medium text-red-800">Delete this rule</h2>
          <p className="text-sm">Deliveries not sent yet are dropped with it.</p>
          <ActionForm action={deleteRuleAction.bind(null, org, slug, project.id, ruleId)} submit="Delete rule" />
        </section>
      ) : null}
    </main>
  );
}
