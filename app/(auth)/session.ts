import "server-only";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { SESSION_COOKIE, userForSession } from "@/lib/auth/sessions";

/** The signed-in user of this request, or null. */
export async function currentUser() {
  const jar = await cookies();
  return userForSession(jar.get(SESSION_COOKIE)?.value);
}

/** The signed-in user; anyone else is sent to the sign-in page. */
export async function requireUser() {
  const user = await currentUser();
  if (!user) redirect("/sign-in");
  return user;
}
