import { db } from "../db";
import { emailSchema } from "../users";
import { verifyPassword } from "./password";
import { createSession } from "./sessions";
import { clearSignInFailures, reserveSignIn } from "./throttle";

export type SignInResult =
  | { ok: true; token: string; expiresAt: Date; userId: number }
  | { ok: false; error: string };

/**
 * Checks email and password and starts a session. Guessing is slowed per (account, IP) with a
 * growing delay, and per IP across accounts (lib/auth/throttle.ts); no lock is global, so a
 * stranger's failures never keep the owner, signing in from elsewhere, out.
 */
export async function signInWithPassword(input: {
  email: string;
  password: string;
  ip: string;
  userAgent?: string;
}): Promise<SignInResult> {
  const email = emailSchema.safeParse(input.email);
  if (!email.success || !input.password) return { ok: false, error: "Enter your email and password." };
  const wait = await reserveSignIn(email.data, input.ip);
  if (wait > 0) return { ok: false, error: `Too many sign-in attempts. Try again in ${describeWait(wait)}.` };
  const user = await db().user.findUnique({ where: { email: email.data }, select: { id: true, passwordHash: true } });
  if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, input.password))) {
    return { ok: false, error: "Wrong email or password." };
  }
  await clearSignInFailures(email.data, input.ip);
  const session = await createSession(user.id, { ip: input.ip, userAgent: input.userAgent });
  return { ok: true, userId: user.id, ...session };
}

function describeWait(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? "1 second" : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}
