import "server-only";
import { cookies } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { SESSION_COOKIE, userForSession } from "@/lib/auth/sessions";
import { type Viewer, viewerForOrg } from "@/lib/auth/viewer";

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

/** The signed-in user acting in the org of the URL; a stranger to that org gets a 404. */
export async function requireViewer(orgSlug: string): Promise<Viewer & { email: string }> {
  const user = await requireUser();
  const viewer = await viewerForOrg(user.id, orgSlug);
  if (!viewer) notFound();
  return { ...viewer, email: user.email };
}
