import "server-only";
import { notFound } from "next/navigation";
import { cache } from "react";
import { AppError } from "@/lib/errors";
import { requireSuperuser } from "@/lib/operator";
import { currentUser, type SessionUser } from "../(auth)/session";

// The operator console exists only for the install's superusers. Everyone else, signed out
// included, gets the app's ordinary 404 (notFound(), never a redirect to sign-in, which would
// tell a stranger the page is there). The layout and every page call this: Next renders a
// layout and its page in parallel, so a page cannot rely on its layout having checked.

/** The signed-in superuser of this request; anyone else sees "Not found". */
export const requireOperator = cache(async (): Promise<SessionUser> => {
  const user = await currentUser();
  try {
    await requireSuperuser(user?.id);
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  }
  return user!;
});

/** For server actions: the same check, failing as an AppError the action's form shows. */
export async function requireOperatorAction(): Promise<void> {
  const user = await currentUser();
  await requireSuperuser(user?.id);
}
