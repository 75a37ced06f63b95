"use server";

import { redirect } from "next/navigation";
import { resetPassword } from "@/lib/auth/accounts";
import { type ActionState, formAction } from "../../../_server/action-state";

export async function resetPasswordAction(token: string, _previous: ActionState, form: FormData): Promise<ActionState> {
  const state = await formAction(async () => {
    await resetPassword(token, String(form.get("password") ?? ""));
    return undefined;
  });
  if (state.error) return state;
  redirect("/sign-in");
}
