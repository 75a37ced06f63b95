import type { Metadata } from "next";
import Link from "next/link";
import { CONDITION_IDS } from "@/lib/alerts/catalog";
import { listMembers } from "@/lib/members";
import { listEnvironments } from "@/lib/projects/environments";
import { createRuleAction } from "../actions";
import { alertsContext, memberOption } from "../load";
import { ActionForm } from "../../../../../_components/action-form";
import { RuleFields, type RuleFormValues } from "../rule-form";

export const metadata: Metadata = { title: "New alert rule" };
export const dynamic = "force-dynamic";

const BLANK: RuleFormValues = {
  name: "",
  environment: null,
  actionMatch: "all",
  filterMatch: "all",
  frequency: 30,
  conditions: [{ id: CONDITION_IDS.firstSeen }],
  filters: [],
  actions: [],
  hasSecret: false,
};

export default async function NewAlertRulePage({ params }: { params: Promise<{ org: string; project: string }> }) {
  const { org, project: slug } = await params;
  const { viewer, project } = await alertsContext(org, slug);
  const [members, environments] = await Promise.all([listMembers(viewer), listEnvironments(viewer)]);
  return (
    <main className="mx-auto max-w-3xl space-y-6 p-6">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold">{project.name}: new alert rule</h1>
        <Link href={`/${org}/projects/${slug}/alerts`} className="text-sm text-indigo-700 hover:underline">
          All alert rules
        </Link>
      </div>
      <ActionForm keepInput className="space-y-4" action={createRuleAction.bind(null, org, slug, project.id)} submit="Create rule">
        <RuleFields values={BLANK} environments={environments} members={members.map(memberOption)} />
      </ActionForm>
    </main>
  );
}
