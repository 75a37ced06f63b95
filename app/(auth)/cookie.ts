import "server-only";
import { cookies } from "next/headers";
import { sessionCookieName } from "@/lib/auth/sessions";
import { env } from "@/lib/env";

/**
 * Puts a new session in its httpOnly, SameSite=Lax cookie. On https it is Secure, Path=/ and
 * has no Domain, as its __Host- name requires (lib/auth/sessions.ts).
 */
export async function setSessionCookie(token: string, expires: Date): Promise<void> {
  (await cookies()).set(sessionCookieName(), token, {
    httpOnly: true,
    sameSite: "lax",
    secure: env().APP_URL.startsWith("https:"),
    path: "/",
    expires,
  });
}

/** The session token this request carries, if any. */
export async function sessionToken(): Promise<string | undefined> {
  return (await cookies()).get(sessionCookieName())?.value;
}
