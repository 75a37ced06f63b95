import "server-only";
import { cookies } from "next/headers";
import { sessionCookie, sessionCookieName } from "@/lib/auth/sessions";

/** Puts a new session in its cookie (attributes in lib/auth/sessions.ts). */
export async function setSessionCookie(token: string, expires: Date): Promise<void> {
  (await cookies()).set(sessionCookie(token, expires));
}

/** The session token this request carries, if any. */
export async function sessionToken(): Promise<string | undefined> {
  return (await cookies()).get(sessionCookieName())?.value;
}
