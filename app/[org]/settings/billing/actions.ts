"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { budgetSchema, openBillingPortal, paidPlanSchema, setOnDemandBudget, startCheckout } from "@/lib/billing/checkout";
import { requireViewer } from "../../../(auth)/session";
import { type ActionState, formAction } from "../../../_server/action-state";

// The viewer comes from the session and the org slug in the URL; lib/billing checks the role
// (billing:manage for checkout and portal, owner for the budget) and never takes an org id.

export async function checkoutAction(org: string, _previous: ActionState, form: FormData): Promise<ActionState> {
  let url: string | undefined;
  const state = await formAction(async () => {
    const viewer = await requireViewer(org);
    ({ url } = await startCheckout(viewer, paidPlanSchema.parse(form.get("plan"))));
    return undefined;
  });
  // Outside formAction: redirect works by throwing.
  if (url) redirect(url);
  return state;
}

export async function portalAction(org: string, _previous: ActionState): Promise<ActionState> {
  let url: string | undefined;
  const state = await formAction(async () => {
    ({ url } = await openBillingPortal(await requireViewer(org)));
    return undefined;
  });
  if (url) redirect(url);
  return state;
}

export async function budgetAction(org: string, _previous: ActionState, form: FormData): Promise<ActionState> {
  return formAction(async () => {
    await setOnDemandBudget(await requireViewer(org), budgetSchema.parse(form.get("budget") ?? ""));
    revalidatePath(`/${org}/settings/billing`);
    return { message: "On-demand budget saved." };
  });
}
