import { db } from "../db";
import { redis, redisKey } from "../redis";
import { verifyPassword } from "./password";
import { createSession } from "./sessions";
import { emailSchema } from "../users";

const WINDOW_SECONDS = 15 * 60;
const MAX_PER_ACCOUNT = 10;
const MAX_PER_IP = 50;

export type SignInResult =
  | { ok: true; token: string; expiresAt: Date; userId: number }
  | { ok: false; error: string };

/**
 * Checks email and password and starts a session. Attempts are counted per account (reset by a
 * success) and per IP, so guessing is slow whichever one an attacker varies.
 */
export async function signInWithPassword(input: {
  email: string;
  password: string;
  ip: string;
  userAgent?: string;
}): Promise<SignInResult> {
  const email = emailSchema.safeParse(input.email);
  if (!email.success || !input.password) return { ok: false, error: "Enter your email and password." };
  if (!(await allowAttempt(email.data, input.ip))) {
    return { ok: false, error: "Too many sign-in attempts. Try again in 15 minutes." };
  }
  const user = await db().user.findUnique({ where: { email: email.data }, select: { id: true, passwordHash: true } });
  if (!user?.passwordHash || !(await verifyPassword(user.passwordHash, input.password))) {
    return { ok: false, error: "Wrong email or password." };
  }
  await redis().del(accountKey(email.data));
  const session = await createSession(user.id, { ip: input.ip, userAgent: input.userAgent });
  return { ok: true, userId: user.id, ...session };
}

async function allowAttempt(email: string, ip: string): Promise<boolean> {
  const keys = [accountKey(email), redisKey("signin", "ip", ip)];
  const results = await redis()
    .multi()
    .incr(keys[0]!)
    .expire(keys[0]!, WINDOW_SECONDS, "NX")
    .incr(keys[1]!)
    .expire(keys[1]!, WINDOW_SECONDS, "NX")
    .exec();
  const account = Number(results?.[0]?.[1] ?? 0);
  const perIp = Number(results?.[2]?.[1] ?? 0);
  return account <= MAX_PER_ACCOUNT && perIp <= MAX_PER_IP;
}

const accountKey = (email: string) => redisKey("signin", "account", email);
