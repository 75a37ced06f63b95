import { createClerkClient } from "@clerk/nextjs/server";
import { logger } from "../../logger";
import { clerkSettings } from "./config";

const LOOKUP_TIMEOUT_MS = 3000;

/**
 * A user's primary email and name from Clerk's Backend API, for a first visit whose session
 * token does not carry them. Null when Clerk cannot be asked (the mirror then uses a
 * placeholder address until the user.created webhook brings the real one).
 */
export async function lookupClerkUser(
  clerkUserId: string,
): Promise<{ email: string | null; name: string | null } | null> {
  const settings = clerkSettings();
  if (!settings) return null;
  const client = createClerkClient({
    secretKey: settings.secretKey,
    publishableKey: settings.publishableKey,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const user = await Promise.race([
      client.users.getUser(clerkUserId),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer in ${LOOKUP_TIMEOUT_MS} ms`)),
          LOOKUP_TIMEOUT_MS,
        );
      }),
    ]);
    return { email: user.primaryEmailAddress?.emailAddress ?? null, name: user.fullName };
  } catch (error) {
    logger.warn({ clerkUserId, err: (error as Error).message }, "clerk: could not look up the user's email");
    return null;
  } finally {
    clearTimeout(timer);
  }
}
