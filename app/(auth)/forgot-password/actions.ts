"use server";

import { requestPasswordReset } from "@/lib/auth/accounts";
import { type ActionState, formAction } from "../../_server/action-state";
import { requestMeta } from "../request";

export async function forgotPasswordAction(_previous: ActionState, form: FormData): Promise<ActionState> {
  return formAction(async () => {
    await requestPasswordReset(String(form.get("email") ?? ""), await requestMeta());
    // The same answer whether or not the address has an account.
    return { message: "If an account uses this address, we have emailed it a link to reset the password." };
  });
}
