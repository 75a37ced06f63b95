import type { Tx } from "../db";

// The first account created on an install is its superuser (the person who installed it),
// whichever path creates it: sign-up, the admin CLI's bootstrap/create-user, the launcher's
// demo account, or the first Clerk user mirrored. Race-safe: while the users table looks
// empty, creators take one transaction-scoped advisory lock and look again, so of two
// sign-ups at once the second sees the first's committed row (READ COMMITTED takes a new
// snapshot per statement) and is not a superuser. Once any user exists, no lock is taken.

const LOCK = "errorhub:first-user";

/** Call in the transaction that creates the user, before creating it: its isSuperuser. */
export async function unsafeFirstUserIsSuperuser(tx: Tx): Promise<boolean> {
  if (await tx.user.findFirst({ select: { id: true } })) return false;
  await tx.$executeRaw`select pg_advisory_xact_lock(hashtextextended(${LOCK}, 0))`;
  return !(await tx.user.findFirst({ select: { id: true } }));
}
