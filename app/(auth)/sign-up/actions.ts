"use server";

import { redirect } from "next/navigation";
import { signUp } from "@/lib/auth/accounts";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { createSession } from "@/lib/auth/sessions";
import { afterSignUpUrl } from "@/lib/marketing/funnel";
import { type ActionState, formAction } from "../../_server/action-state";
import { setSessionCookie } from "../cookie";
import { requestMeta } from "../request";

export async function signUpAction(_previous: ActionState, form: FormData): Promise<ActionState> {
  // With Clerk, accounts are made in Clerk: the form is not shown, and a direct post is refused.
  if (clerkSettings()) return { error: "Create your account with the sign-up form." };
  let account: { userId: number; orgSlug: string } | undefined;
  const state = await formAction(async () => {
    const request = await requestMeta();
    account = await signUp(
      {
        name: String(form.get("name") ?? ""),
        email: String(form.get("email") ?? ""),
        password: String(form.get("password") ?? ""),
        organization: String(form.get("organization") ?? ""),
      },
      request,
    );
    const session = await createSession(account.userId, request);
    await setSessionCookie(session.token, session.expiresAt);
    return undefined;
  });
  if (state.error || !account) return state;
  // A new account has no project yet: straight to creating one, or to payment for a paid plan.
  redirect(await afterSignUpUrl(account.userId, account.orgSlug, String(form.get("plan") ?? "")));
}
