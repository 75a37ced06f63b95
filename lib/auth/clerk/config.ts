import { type Env, env } from "../../env";
import { AppError } from "../../errors";

/** What the app needs to know about Clerk when it is the identity provider. */
export type ClerkSettings = {
  secretKey: string;
  publishableKey: string;
  /** PEM public key: session tokens are verified locally, without a call to Clerk. */
  jwtKey: string | undefined;
  webhookSigningSecret: string | undefined;
  /** Origins a session token's azp claim may name (a token minted for another site is refused). */
  authorizedParties: string[];
  /** Host of the instance's Frontend API (where clerk-js is loaded from and talks to). */
  frontendApi: string;
};

/**
 * Clerk's settings when both keys are configured, else null: built-in accounts. Read at request
 * time, never at build time, so one build serves both the self-hosted and the hosted service.
 * Contains the secret key: server code only.
 */
export function clerkSettings(config: Env = env()): ClerkSettings | null {
  const secretKey = config.CLERK_SECRET_KEY;
  const publishableKey = config.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY;
  if (!secretKey || !publishableKey) return null;
  return {
    secretKey,
    publishableKey,
    jwtKey: config.CLERK_JWT_KEY,
    webhookSigningSecret: config.CLERK_WEBHOOK_SIGNING_SECRET,
    authorizedParties: config.CLERK_AUTHORIZED_PARTIES,
    frontendApi: frontendApiOf(publishableKey),
  };
}

/** "pk_live_" + base64("clerk.example.com$") -> "clerk.example.com" */
export function frontendApiOf(publishableKey: string): string {
  return Buffer.from(publishableKey.replace(/^pk_(test|live)_/, ""), "base64")
    .toString()
    .replace(/\$$/, "");
}

/**
 * With Clerk, people, organizations and memberships are Clerk's: a change made here would be
 * overwritten by the next mirrored session. The lib functions that change them refuse.
 */
export function assertManagedHere(what: string): void {
  if (clerkSettings()) throw new AppError("bad_request", `${what} are managed in Clerk: use the organization settings there`);
}
