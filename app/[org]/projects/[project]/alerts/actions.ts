"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { type TestResult, sendTestNotification } from "@/lib/alerts/deliveries";
import { createAlertRule, deleteAlertRule, updateAlertRule } from "@/lib/alerts/rules";
import { requireViewer } from "../../../../(auth)/session";
import { type ActionState, formAction } from "../../../../_server/action-state";
import { ruleBodyFromForm } from "./rule-body";

// The viewer comes from the session and the URL's org slug; lib/alerts checks the role, finds the
// project and rule within that org, and validates the body (its messages go back to the form).

const alertsPath = (org: string, project: string) => `/${org}/projects/${project}/alerts`;

export async function createRuleAction(org: string, project: string, projectId: number, _previous: ActionState, form: FormData): Promise<ActionState> {
  let ruleId = 0;
  const state = await formAction(async () => {
    ({ id: ruleId } = await createAlertRule(await requireViewer(org), projectId, ruleBodyFromForm(form)));
    return undefined;
  });
  // Outside formAction: redirect works by throwing.
  if (ruleId) redirect(`${alertsPath(org, project)}/${ruleId}`);
  return state;
}

export async function updateRuleAction(
  org: string,
  project: string,
  projectId: number,
  ruleId: number,
  _previous: ActionState,
  form: FormData,
): Promise<ActionState> {
  return formAction(async () => {
    await updateAlertRule(await requireViewer(org), projectId, ruleId, ruleBodyFromForm(form));
    revalidatePath(alertsPath(org, project), "layout");
    return { message: "Saved." };
  });
}

export async function deleteRuleAction(org: string, project: string, projectId: number, ruleId: number, _previous: ActionState): Promise<ActionState> {
  let deleted = false;
  const state = await formAction(async () => {
    await deleteAlertRule(await requireViewer(org), projectId, ruleId);
    deleted = true;
    return undefined;
  });
  if (deleted) redirect(alertsPath(org, project));
  return state;
}

export type TestState = { error?: string; results?: TestResult[] };

export async function testRuleAction(org: string, project: string, projectId: number, ruleId: number, _previous: TestState): Promise<TestState> {
  let results: TestResult[] = [];
  const state = await formAction(async () => {
    results = await sendTestNotification(await requireViewer(org), projectId, ruleId);
    // The delivery log on the rule's page shows the test rows.
    revalidatePath(`${alertsPath(org, project)}/${ruleId}`);
    return undefined;
  });
  return state.error ? { error: state.error } : { results };
}
