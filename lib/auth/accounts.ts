import { randomBytes } from "node:crypto";
import { z } from "zod";
import { db } from "../db";
import { env } from "../env";
import { AppError } from "../errors";
import { sendMail } from "../mail";
import { freeOrgSlug } from "../orgs";
import { unsafeFirstUserIsSuperuser } from "../operator/first-user";
import { hashToken, revokeAllApiTokensOfUser } from "../tokens";
import { emailSchema, passwordSchema, setPassword } from "../users";
import { hashPassword } from "./password";
import { endOtherSessions } from "./sessions";
import { throttleMail } from "./throttle";

const VERIFY_TTL_MS = 3 * 24 * 3600 * 1000;
const RESET_TTL_MS = 3600 * 1000;

export const signUpSchema = z.object({
  name: z.string().trim().max(100).default(""),
  email: emailSchema,
  password: passwordSchema,
  organization: z.string().trim().min(1, "name your organization").max(100),
});

/**
 * A new account: the user, an organization they own, and an email to verify the address.
 * Limited per IP and per address, as each one sends an email.
 */
export async function signUp(input: z.input<typeof signUpSchema>, request: { ip: string }) {
  const { name, email, password, organization } = signUpSchema.parse(input);
  await throttleMail("sign_up", request.ip, email);
  if (await db().user.findUnique({ where: { email }, select: { id: true } })) {
    throw new AppError("conflict", "an account with this email already exists: sign in or reset your password");
  }
  const passwordHash = await hashPassword(password);
  const { user, org } = await db().$transaction(async (tx) => {
    const isSuperuser = await unsafeFirstUserIsSuperuser(tx);
    const user = await tx.user.create({ data: { email, name, passwordHash, isSuperuser }, select: { id: true } });
    const org = await tx.organization.create({
      data: { slug: await freeOrgSlug(tx, organization), name: organization, memberships: { create: { userId: user.id, role: "owner" } } },
      select: { id: true, slug: true },
    });
    return { user, org };
  });
  await sendVerification(user.id, email);
  return { userId: user.id, orgSlug: org.slug };
}

async function issueToken(userId: number, purpose: "verify_email" | "reset_password", ttlMs: number): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await db().emailToken.create({ data: { userId, purpose, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + ttlMs) } });
  return token;
}

export async function sendVerification(userId: number, email: string): Promise<void> {
  const token = await issueToken(userId, "verify_email", VERIFY_TTL_MS);
  await sendMail({
    to: email,
    subject: "Verify your email for errorhub",
    text: `Confirm this is your address: ${env().APP_URL}/verify-email/${token}\n\nThe link expires in 3 days.`,
  });
}

/** Uses a one-time link: returns its user, or throws when unknown, used or expired. */
async function consumeToken(token: string, purpose: "verify_email" | "reset_password"): Promise<number> {
  const row = await db().emailToken.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!row || row.purpose !== purpose || row.usedAt || row.expiresAt < new Date()) {
    throw new AppError("not_found", "this link is invalid, used or expired");
  }
  const { count } = await db().emailToken.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: new Date() } });
  if (count === 0) throw new AppError("not_found", "this link is invalid, used or expired");
  return row.userId;
}

/**
 * Confirms the address. Whoever made the account before the owner confirmed it may have been
 * someone else using their address (pre-hijacking): their sessions, except the one clicking
 * the link (`keepSession`), and their API tokens end.
 */
export async function verifyEmail(token: string, keepSession?: string): Promise<void> {
  const userId = await consumeToken(token, "verify_email");
  await takeBackAccount(userId, keepSession);
}

/**
 * Emails a reset link when the address has an account; says nothing either way. Limited per IP
 * and per address, counted whether or not the account exists.
 */
export async function requestPasswordReset(email: string, request: { ip: string }): Promise<void> {
  const parsed = emailSchema.safeParse(email);
  if (!parsed.success) return;
  await throttleMail("password_reset", request.ip, parsed.data);
  const user = await db().user.findUnique({ where: { email: parsed.data }, select: { id: true } });
  if (!user) return;
  const token = await issueToken(user.id, "reset_password", RESET_TTL_MS);
  await sendMail({
    to: parsed.data,
    subject: "Reset your errorhub password",
    text: `Choose a new password: ${env().APP_URL}/reset-password/${token}\n\nThe link expires in an hour. If you did not ask for it, ignore this email.`,
  });
}

/** Sets a new password through a reset link; every session and API token of the user ends. */
export async function resetPassword(token: string, password: string): Promise<void> {
  passwordSchema.parse(password);
  const userId = await consumeToken(token, "reset_password");
  const user = await db().user.findUniqueOrThrow({ where: { id: userId }, select: { email: true } });
  await setPassword(user.email, password);
  await takeBackAccount(userId);
}

// The owner of the address has proven it: the address is verified, and what anyone else made
// with the account while it was not (sessions, API tokens) stops working.
async function takeBackAccount(userId: number, keepSession?: string): Promise<void> {
  await db().$transaction(async (tx) => {
    await tx.user.update({ where: { id: userId }, data: { emailVerifiedAt: new Date() } });
    await endOtherSessions(userId, keepSession, tx);
    await revokeAllApiTokensOfUser(userId, tx);
  });
}
