import { z } from "zod";
import { db } from "../db";
import { AppError } from "../errors";
import { MIN_PASSWORD_LENGTH, hashPassword } from "../auth/password";
import type { Viewer } from "../auth/viewer";
import { unsafeFirstUserIsSuperuser } from "../operator/first-user";

export const emailSchema = z.string().trim().toLowerCase().email();
export const passwordSchema = z.string().min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`);

/** Creates a user with a password, or sets the password of the existing one. */
export async function upsertUserWithPassword(input: { email: string; password: string; name?: string }) {
  const email = emailSchema.parse(input.email);
  const passwordHash = await hashPassword(passwordSchema.parse(input.password));
  // In a transaction for the first-user rule (the install's first account is its superuser).
  return db().$transaction(async (tx) =>
    tx.user.upsert({
      where: { email },
      create: { email, name: input.name ?? "", passwordHash, emailVerifiedAt: new Date(), isSuperuser: await unsafeFirstUserIsSuperuser(tx) },
      update: { passwordHash },
      select: { id: true, email: true },
    }),
  );
}

export async function setPassword(email: string, password: string) {
  const user = await db().user.findUnique({ where: { email: emailSchema.parse(email) }, select: { id: true } });
  if (!user) throw new AppError("not_found", `no user with email ${email}`);
  const passwordHash = await hashPassword(passwordSchema.parse(password));
  await db().$transaction([
    db().user.update({ where: { id: user.id }, data: { passwordHash } }),
    // A password reset signs the user out everywhere.
    db().session.deleteMany({ where: { userId: user.id } }),
  ]);
}

/**
 * Refuses a built-in account whose address is not confirmed yet. Anyone can sign up with
 * someone else's address; such an account must not mint API tokens or invite people that would
 * outlive the real owner taking the address back (by verifying it or resetting the password).
 * A Clerk user is Clerk's to verify (they may sign in without any email at all).
 */
export async function assertEmailVerified(userId: number, action: string): Promise<void> {
  const user = await db().user.findUnique({ where: { id: userId }, select: { emailVerifiedAt: true, clerkId: true } });
  if (!user?.emailVerifiedAt && !user?.clerkId) {
    throw new AppError("forbidden", `verify your email address before you ${action}: follow the link we emailed you`);
  }
}

/** Which issue alert emails a user receives: every one, only for issues assigned to them, or none. */
export const ALERT_EMAIL_SETTINGS = ["all", "assigned", "none"] as const;
export type AlertEmailSetting = (typeof ALERT_EMAIL_SETTINGS)[number];
const alertEmailSettingSchema = z.enum(ALERT_EMAIL_SETTINGS, { error: "choose all, assigned or none" });

// A personal setting: the viewer's own row, whatever their role in the org, never anyone else's.
export async function getAlertEmailSetting(viewer: Viewer): Promise<AlertEmailSetting> {
  const user = await db().user.findUnique({ where: { id: viewer.userId }, select: { alertEmails: true } });
  if (!user) throw new AppError("not_found", "no such user");
  const parsed = alertEmailSettingSchema.safeParse(user.alertEmails);
  return parsed.success ? parsed.data : "all";
}

export async function setAlertEmailSetting(viewer: Viewer, value: unknown): Promise<AlertEmailSetting> {
  const alertEmails = alertEmailSettingSchema.parse(value);
  await db().user.update({ where: { id: viewer.userId }, data: { alertEmails }, select: { id: true } });
  return alertEmails;
}
