"use server";

import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { safeNext } from "@/lib/auth/safe-next";
import { endSession, sessionCookieName } from "@/lib/auth/sessions";
import { signInWithPassword } from "@/lib/auth/sign-in";
import { sessionToken, setSessionCookie } from "../cookie";
import { requestMeta } from "../request";

export type SignInState = { error?: string; email?: string };

export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const email = String(form.get("email") ?? "");
  // With Clerk, sessions are Clerk's: the form is not shown, and a direct post is refused.
  if (clerkSettings()) return { error: "Sign in with the sign-in form.", email };
  const result = await signInWithPassword({ email, password: String(form.get("password") ?? ""), ...(await requestMeta()) });
  if (!result.ok) return { error: result.error, email };
  await setSessionCookie(result.token, result.expiresAt);
  redirect(safeNext(String(form.get("next") ?? "")));
}

export async function signOut(): Promise<void> {
  await endSession(await sessionToken());
  (await cookies()).delete(sessionCookieName());
  redirect("/sign-in");
}
