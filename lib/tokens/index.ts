import { createHash, createHmac, randomBytes } from "node:crypto";
import { z } from "zod";
import type { Role } from "../generated/prisma/enums.ts";
import { audit } from "../audit";
import type { Viewer } from "../auth/viewer";
import { db, type Tx } from "../db";
import { env } from "../env";
import { AppError } from "../errors";
import { assertEmailVerified } from "../users";

export const SCOPES = ["project:read", "project:write", "event:read", "event:write", "org:read", "org:admin"] as const;
export type Scope = (typeof SCOPES)[number];

const PREFIX = "ehb_";

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** Creates a token for a user in an org; the plain token is returned once and never stored. */
export async function createApiToken(input: { userId: number; orgId: number; name: string; scopes: Scope[] }) {
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
 * secret changed).
 */
export async function ensureBootstrapToken(userId: number, orgId: number): Promise<string> {
  const token =
    PREFIX + createHmac("sha256", env().AUTH_SECRET).update(`bootstrap-token:${userId}:${orgId}`).digest("base64url");
  const data = { tokenHash: hashToken(token), tokenPrefix: token.slice(0, 10), revokedAt: null };
  const existing = await db().apiToken.findFirst({ where: { userId, orgId, name: "bootstrap" }, select: { id: true } });
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
});

/** The viewer's own tokens in this org (never the token itself, only its first characters). */
export function listApiTokens(viewer: Viewer) {
  return db().apiToken.findMany({
    where: { orgId: viewer.orgId, userId: viewer.userId, revokedAt: null },
    orderBy: { id: "desc" },
    select: { id: true, name: true, tokenPrefix: true, scopes: true, lastUsedAt: true, createdAt: true },
  });
}

/** A new token for the viewer in this org; `org:admin` only for owners and admins. */
export async function createApiTokenFor(viewer: Viewer, input: { name: string; scopes: Scope[] }) {
  const { name, scopes } = tokenInputSchema.parse(input);
  await assertEmailVerified(viewer.userId, "create API tokens");
  if (scopes.includes("org:admin") && viewer.role !== "owner" && viewer.role !== "admin") {
    throw new AppError("forbidden", "only owners and admins may create org:admin tokens");
  }
  const created = await createApiToken({ userId: viewer.userId, orgId: viewer.orgId, name, scopes });
  await audit(viewer, { action: "token.create", targetType: "api_token", targetId: created.id, data: { name, scopes } });
  return created;
}

/** Revokes one of the viewer's tokens; someone else's token id is not found. */
export async function revokeApiToken(viewer: Viewer, tokenId: number): Promise<void> {
  const { count } = await db().apiToken.updateMany({
    where: { id: tokenId, orgId: viewer.orgId, userId: viewer.userId, revokedAt: null },
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
 * when its user is no longer a member of the token's org.
 */
export async function authenticateApiToken(token: string): Promise<(Viewer & { scopes: Scope[] }) | null> {
  if (!token.startsWith(PREFIX)) return null;
  const row = await db().apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    select: { id: true, userId: true, orgId: true, scopes: true, revokedAt: true, lastUsedAt: true },
  });
  if (!row || row.revokedAt) return null;
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
