import "server-only";
import { cookies } from "next/headers";
import { SESSION_COOKIE } from "@/lib/auth/sessions";
import { env } from "@/lib/env";

/** Puts a new session in its httpOnly, SameSite=Lax cookie (Secure when the app is on https). */
export async function setSessionCookie(token: string, expires: Date): Promise<void> {
  (await cookies()).set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    secure: env().APP_URL.startsWith("https:"),
    path: "/",
    expires,
  });
}
