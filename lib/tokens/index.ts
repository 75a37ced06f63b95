import { createHash, createHmac, randomBytes } from "node:crypto";
import { z } from "zod";
import type { Role } from "../generated/prisma/enums.ts";
import { audit } from "../audit";
import { can } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db, type Tx } from "../db";
import { env } from "../env";
import { AppError } from "../errors";
import { assertEmailVerified } from "../users";

// project:releases is Sentry's scope for release and source-map uploads (what CI tokens get);
// org:ci is what Sentry's org auth tokens carry for the same work.
export const SCOPES = [
  "project:read",
  "project:write",
  "project:releases",
  "event:read",
  "event:write",
  "org:read",
  "org:ci",
  "org:admin",
] as const;
export type Scope = (typeof SCOPES)[number];

const PREFIX = "ehb_";

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/**
 * Creates a token for a user in an org; the plain token is returned once and never stored.
 * Checks nothing: viewers go through createApiTokenFor.
 */
export async function unsafeCreateApiToken(input: {
  userId: number;
  orgId: number;
  name: string;
  scopes: Scope[];
  expiresAt?: Date | null;
}) {
  const token = PREFIX + randomBytes(32).toString("base64url");
  const row = await db().apiToken.create({
    data: { ...input, tokenHash: hashToken(token), tokenPrefix: token.slice(0, 10) },
    select: { id: true },
  });
  return { id: row.id, token };
}

/**
 * The bootstrap command must print the same token on every run, yet only hashes are stored:
 * derive it from AUTH_SECRET, so a rerun can recompute it (and repair the stored hash when the
 * secret changed). System context only (bootstrap).
 */
export async function unsafeEnsureBootstrapToken(userId: number, orgId: number): Promise<string | null> {
  const token =
    PREFIX + createHmac("sha256", env().AUTH_SECRET).update(`bootstrap-token:${userId}:${orgId}`).digest("base64url");
  const data = { tokenHash: hashToken(token), tokenPrefix: token.slice(0, 10) };
  const existing = await db().apiToken.findFirst({ where: { userId, orgId, name: "bootstrap" }, select: { id: true, revokedAt: true } });
  // Re-derived only while it stands: a revoked bootstrap token is revoked for good.
  if (existing?.revokedAt) return null;
  if (existing) {
    await db().apiToken.update({ where: { id: existing.id }, data });
  } else {
    await db().apiToken.create({ data: { ...data, userId, orgId, name: "bootstrap", scopes: [...SCOPES] } });
  }
  return token;
}

export const tokenInputSchema = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(SCOPES)).min(1),
  // Sentry's field name; null or absent: the token never expires.
  expiresAt: z.coerce
    .date()
    .nullish()
    .refine((date) => !date || date.getTime() > Date.now(), "expiresAt must be in the future"),
});

/** The lifetimes the settings page offers, in days; "never" is the other choice. */
export const EXPIRY_DAYS = [30, 90, 365] as const;

/** The expiry of a token created now with the settings page's choice ("never" or a number of days). */
export function expiryFromChoice(choice: string, now = Date.now()): Date | null {
  const days = Number(choice);
  if (choice === "never" || !(EXPIRY_DAYS as readonly number[]).includes(days)) return null;
  return new Date(now + days * 86_400_000);
}

/**
 * The org's live tokens (never the token itself, only its first characters): every member's
 * for owners and admins, so they can revoke them; only their own for everyone else. Expired
 * tokens stay listed, marked by their expiresAt, until revoked.
 */
export function listApiTokens(viewer: Viewer) {
  return db().apiToken.findMany({
    where: { orgId: viewer.orgId, revokedAt: null, ...ownTokensUnlessManager(viewer) },
    orderBy: { id: "desc" },
    select: {
      id: true,
      name: true,
      tokenPrefix: true,
      scopes: true,
      lastUsedAt: true,
      createdAt: true,
      expiresAt: true,
      user: { select: { id: true, name: true, email: true } },
    },
  });
}

function ownTokensUnlessManager(viewer: Viewer): { userId?: number } {
  return can(viewer.role, "tokens:manage") ? {} : { userId: viewer.userId };
}

/** A new token for the viewer in this org; `org:admin` only for owners and admins. */
export async function createApiTokenFor(
  viewer: Viewer,
  input: { name: string; scopes: Scope[]; expiresAt?: Date | string | null },
) {
  const { name, scopes, expiresAt = null } = tokenInputSchema.parse(input);
  await assertEmailVerified(viewer.userId, "create API tokens");
  if (scopes.includes("org:admin") && viewer.role !== "owner" && viewer.role !== "admin") {
    throw new AppError("forbidden", "only owners and admins may create org:admin tokens");
  }
  const created = await unsafeCreateApiToken({ userId: viewer.userId, orgId: viewer.orgId, name, scopes, expiresAt });
  await audit(viewer, {
    action: "token.create",
    targetType: "api_token",
    targetId: created.id,
    data: { name, scopes, expiresAt: expiresAt?.toISOString() ?? null },
  });
  return created;
}

/**
 * Revokes a token of this org: any member's for owners and admins, else only the viewer's own;
 * a token the viewer may not see is not found.
 */
export async function revokeApiToken(viewer: Viewer, tokenId: number): Promise<void> {
  const { count } = await db().apiToken.updateMany({
    where: { id: tokenId, orgId: viewer.orgId, revokedAt: null, ...ownTokensUnlessManager(viewer) },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw new AppError("not_found", "no such token");
  await audit(viewer, { action: "token.revoke", targetType: "api_token", targetId: tokenId });
}

/** Revokes every API token of the user, in all orgs (the address changed hands, see lib/auth/accounts). */
export async function revokeAllApiTokensOfUser(userId: number, tx: Tx = db()): Promise<number> {
  const { count } = await tx.apiToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
  return count;
}

// lastUsedAt is refreshed at most this often, not on every API call.
const LAST_USED_PRECISION_MS = 60_000;

/**
 * The viewer a bearer token acts as, with its scopes; null for an unknown or revoked token, or
 * when its user is no longer a member of the token's org. An expired token throws a 401 that
 * says so, so its holder knows to make a new one rather than hunt for a typo.
 */
export async function authenticateApiToken(token: string): Promise<(Viewer & { scopes: Scope[] }) | null> {
  if (!token.startsWith(PREFIX)) return null;
  const row = await db().apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    select: { id: true, userId: true, orgId: true, scopes: true, revokedAt: true, lastUsedAt: true, expiresAt: true },
  });
  if (!row || row.revokedAt) return null;
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
    throw new AppError("unauthorized", `Token expired at ${row.expiresAt.toISOString()}; create a new one.`);
  }
  const membership = await db().membership.findUnique({
    where: { orgId_userId: { orgId: row.orgId, userId: row.userId } },
    select: { role: true },
  });
  if (!membership) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
    await db().apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return { userId: row.userId, orgId: row.orgId, role: membership.role as Role, scopes: row.scopes as Scope[] };
}
