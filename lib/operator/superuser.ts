import { db } from "../db";
import { AppError } from "../errors";
import { logger } from "../logger";
import { emailSchema } from "../users";

// Install admins ("superusers") see the operator console at /_admin; in the hosted service,
// the staff. Everyone else gets the 404 of a page that does not exist, so the console's
// existence is not told to strangers or members.

/** Throws not_found unless the user exists and is a superuser. */
export async function requireSuperuser(userId: number | null | undefined): Promise<void> {
  // Ids are int4: a larger number would be Postgres' error (a 500), not "no such user".
  if (typeof userId !== "number" || !Number.isInteger(userId) || userId < 1 || userId > 2_147_483_647)
    throw new AppError("not_found", "not found");
  const user = await db().user.findUnique({ where: { id: userId }, select: { isSuperuser: true } });
  if (!user?.isSuperuser) throw new AppError("not_found", "not found");
}

/**
 * Makes a user a superuser, or no longer one: `npm run admin -- superuser`, run by whoever has
 * the install's shell. The audit log is per organization and this change is of the install, so
 * it goes to the process log.
 */
export async function unsafeSetSuperuser(email: string, on: boolean): Promise<{ id: number; email: string; isSuperuser: boolean }> {
  const normalized = emailSchema.safeParse(email);
  if (!normalized.success) throw new AppError("bad_request", `--email: "${email}" is not an email address`);
  const user = await db().user.findUnique({ where: { email: normalized.data }, select: { id: true } });
  if (!user) throw new AppError("not_found", `no user with email ${normalized.data}`);
  const updated = await db().user.update({
    where: { id: user.id },
    data: { isSuperuser: on },
    select: { id: true, email: true, isSuperuser: true },
  });
  logger.info({ userId: updated.id, superuser: on }, "superuser flag changed by admin CLI");
  return updated;
}
