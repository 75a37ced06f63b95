"use server";

import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { signUp } from "@/lib/auth/accounts";
import { createSession } from "@/lib/auth/sessions";
import { type ActionState, formAction } from "../../_server/action-state";
import { setSessionCookie } from "../cookie";

export async function signUpAction(_previous: ActionState, form: FormData): Promise<ActionState> {
  let orgSlug = "";
  const state = await formAction(async () => {
    const account = await signUp({
      name: String(form.get("name") ?? ""),
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      organization: String(form.get("organization") ?? ""),
    });
    const session = await createSession(account.userId, { userAgent: (await headers()).get("user-agent") ?? undefined });
    await setSessionCookie(session.token, session.expiresAt);
    orgSlug = account.orgSlug;
    return undefined;
  });
  if (state.error) return state;
  redirect(`/${orgSlug}`);
}
