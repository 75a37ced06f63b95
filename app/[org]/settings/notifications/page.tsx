import type { Metadata } from "next";
import { type AlertEmailSetting, getAlertEmailSetting } from "@/lib/users";
import { requireViewer } from "../../../(auth)/session";
import { ActionForm } from "../../../_components/action-form";
import { setAlertEmailsAction } from "./actions";

export const metadata: Metadata = { title: "Notifications" };
export const dynamic = "force-dynamic";

const choices: { value: AlertEmailSetting; label: string; hint: string }[] = [
  { value: "all", label: "All issues", hint: "every alert email a rule sends to you or to the project's members" },
  { value: "assigned", label: "Only issues assigned to me", hint: "alerts about other issues are not emailed to you" },
  { value: "none", label: "None", hint: "no alert emails; webhooks, Slack and Discord still deliver" },
];

export default async function NotificationsPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const current = await getAlertEmailSetting(await requireViewer(org));
  return (
    <main className="mx-auto max-w-3xl space-y-6 p-6">
      <h1 className="text-2xl font-semibold">Notifications</h1>
      <p className="text-sm text-slate-600">
        Your own setting, for every organization you belong to. Which issues send alerts is set per project, under each
        project's Alerts.
      </p>
      <ActionForm action={setAlertEmailsAction.bind(null, org)} submit="Save" className="space-y-4">
        <fieldset className="space-y-2 text-sm">
          <legend className="mb-1 font-medium">Alert emails</legend>
          {choices.map((c) => (
            <label key={c.value} className="flex items-start gap-2">
              <input type="radio" name="alertEmails" value={c.value} defaultChecked={c.value === current} className="mt-1" />
              <span>
                {c.label}
                <span className="block text-slate-500">{c.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
      </ActionForm>
    </main>
  );
}
