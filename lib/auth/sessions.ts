import { randomBytes } from "node:crypto";
import { db, type Tx } from "../db";
import { env } from "../env";
import { hashToken } from "../tokens";

/** The session cookie's name on plain http; see sessionCookieName(). */
export const SESSION_COOKIE = "errorhub_session";

/**
 * The session cookie's name. On https it carries the __Host- prefix, which browsers accept only
 * with Secure, Path=/ and no Domain, so a sibling subdomain cannot plant or overwrite it. Plain
 * http (a local install) keeps the bare name: browsers may refuse a Secure cookie there.
 */
export function sessionCookieName(): string {
  return env().APP_URL.startsWith("https:") ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

/** The session cookie for a token: httpOnly, SameSite=Lax, Path=/, no Domain; Secure on https. */
export function sessionCookie(token: string, expires: Date) {
  return {
    name: sessionCookieName(),
    value: token,
    httpOnly: true,
    sameSite: "lax" as const,
    secure: env().APP_URL.startsWith("https:"),
    path: "/",
    expires,
  };
}

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
// Refresh lastSeenAt and extend expiry at most this often, not on every request.
const TOUCH_INTERVAL_MS = 3600 * 1000;

/** Starts a server-side session; the returned token goes in an httpOnly cookie. */
export async function createSession(userId: number, meta: { ip?: string; userAgent?: string } = {}) {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db().session.create({
    data: { userId, tokenHash: hashToken(token), expiresAt, ip: meta.ip, userAgent: meta.userAgent?.slice(0, 500) },
  });
  return { token, expiresAt };
}

/** The signed-in user for a session token, or null when missing or expired. */
export async function userForSession(token: string | undefined) {
  if (!token) return null;
  const session = await db().session.findUnique({
    where: { tokenHash: hashToken(token) },
    select: { id: true, expiresAt: true, lastSeenAt: true, user: { select: { id: true, email: true, name: true } } },
  });
  if (!session || session.expiresAt < new Date()) return null;
  if (Date.now() - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await db().session.update({
      where: { id: session.id },
      data: { lastSeenAt: new Date(), expiresAt: new Date(Date.now() + SESSION_TTL_MS) },
    });
  }
  return session.user;
}

export async function endSession(token: string | undefined): Promise<void> {
  if (token) await db().session.deleteMany({ where: { tokenHash: hashToken(token) } });
}

/** Ends every session of the user except `keep` (the one making the request, if any). */
export async function endOtherSessions(userId: number, keep?: string, tx: Tx = db()): Promise<void> {
  await tx.session.deleteMany({ where: { userId, ...(keep ? { tokenHash: { not: hashToken(keep) } } : {}) } });
}
