import { redis, redisKey } from "../../redis";

// When Clerk last changed a membership (or deleted a user or org), as its webhook told us.
// Just-in-time mirroring trusts a session token's claims only if the token is newer than that:
// a token issued before a member was removed or demoted (Clerk's live for a minute by default)
// must not put them back. Webhooks older than the last change (Svix retries, out of order) are
// skipped for the same reason. Kept a day: far longer than any session token lives.
const KEEP_SECONDS = 24 * 3600;

export type ClerkSubject = { user: string; org?: undefined } | { org: string; user?: string };

function key(subject: ClerkSubject): string {
  if (subject.org && subject.user)
    return redisKey("clerk", "changed", "membership", subject.org, subject.user);
  return subject.org
    ? redisKey("clerk", "changed", "org", subject.org)
    : redisKey("clerk", "changed", "user", subject.user!);
}

/** Notes that Clerk changed the subject at `atMs` (the webhook event's time); keeps the latest. */
export async function recordClerkChange(subject: ClerkSubject, atMs: number): Promise<void> {
  const previous = Number(await redis().get(key(subject))) || 0;
  if (atMs > previous) await redis().set(key(subject), String(atMs), "EX", KEEP_SECONDS);
}

/** When Clerk last changed the subject (ms), or 0 when not within the last day. */
export async function lastClerkChange(subject: ClerkSubject): Promise<number> {
  return Number(await redis().get(key(subject))) || 0;
}

/** True when the subject changed in Clerk after a token issued at `issuedAt` (seconds). */
export async function changedSinceToken(subject: ClerkSubject, issuedAt: number | null): Promise<boolean> {
  const changed = await lastClerkChange(subject);
  // Tokens carry whole seconds: one issued in the same second as the change may predate it.
  return changed > 0 && (issuedAt === null || issuedAt <= Math.floor(changed / 1000));
}
