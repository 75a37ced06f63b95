"use server";

import { revalidatePath } from "next/cache";
import { setAlertEmailSetting } from "@/lib/users";
import { requireViewer } from "../../../(auth)/session";
import { type ActionState, formAction } from "../../../_server/action-state";

// The setting is the signed-in user's own: lib/ writes only the viewer's row.
export async function setAlertEmailsAction(org: string, _previous: ActionState, form: FormData): Promise<ActionState> {
  return formAction(async () => {
    await setAlertEmailSetting(await requireViewer(org), form.get("alertEmails"));
    revalidatePath(`/${org}/settings/notifications`);
    return { message: "Saved." };
  });
}
