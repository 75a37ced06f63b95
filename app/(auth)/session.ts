import "server-only";
import { auth } from "@clerk/nextjs/server";
import { notFound, redirect } from "next/navigation";
import { cache } from "react";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { lookupClerkUser } from "@/lib/auth/clerk/lookup";
import { identityFromClaims, mirrorSession } from "@/lib/auth/clerk/mirror";
import { userForSession } from "@/lib/auth/sessions";
import { type Viewer, viewerForOrg } from "@/lib/auth/viewer";
import { sessionToken } from "./cookie";

// The one place a request's identity is resolved. With Clerk configured, Clerk's session (its
// token verified by proxy.ts) decides who is signed in, and our user, org and membership are
// brought in step with it on the way; otherwise our own session cookie does.

export type SessionUser = {
  id: number;
  email: string;
  name: string;
  /** Slug of the org active in the Clerk session; null with built-in accounts. */
  activeOrgSlug: string | null;
};

/** The signed-in user of this request, or null. Resolved once per request. */
export const currentUser = cache(async (): Promise<SessionUser | null> => {
  if (clerkSettings()) return clerkUser();
  const user = await userForSession(await sessionToken());
  return user && { ...user, activeOrgSlug: null };
});

async function clerkUser(): Promise<SessionUser | null> {
  const session = await auth();
  if (!session.userId || !session.sessionClaims) return null;
  const identity = identityFromClaims(session.sessionClaims);
  if (!identity) return null;
  const mirrored = await mirrorSession(identity, lookupClerkUser);
  return mirrored && { ...mirrored.user, activeOrgSlug: mirrored.orgSlug };
}

/** The signed-in user; anyone else is sent to the sign-in page. */
export async function requireUser(): Promise<SessionUser> {
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
