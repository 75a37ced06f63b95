"use server";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { SESSION_COOKIE, endSession } from "@/lib/auth/sessions";
import { signInWithPassword } from "@/lib/auth/sign-in";
import { setSessionCookie } from "../cookie";

export type SignInState = { error?: string; email?: string };

export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const email = String(form.get("email") ?? "");
  // With Clerk, sessions are Clerk's: the form is not shown, and a direct post is refused.
  if (clerkSettings()) return { error: "Sign in with the sign-in form.", email };
  const requestHeaders = await headers();
  const result = await signInWithPassword({
    email,
    password: String(form.get("password") ?? ""),
    ip: requestHeaders.get("x-forwarded-for")?.split(",")[0]?.trim() || "unknown",
    userAgent: requestHeaders.get("user-agent") ?? undefined,
  });
  if (!result.ok) return { error: result.error, email };
  await setSessionCookie(result.token, result.expiresAt);
  redirect(safeNext(String(form.get("next") ?? "")));
}

export async function signOut(): Promise<void> {
  const jar = await cookies();
  await endSession(jar.get(SESSION_COOKIE)?.value);
  jar.delete(SESSION_COOKIE);
  redirect("/sign-in");
}

// Only paths on this site: an open redirect would make the sign-in page a phishing tool.
function safeNext(next: string): string {
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}
