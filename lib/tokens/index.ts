import { createHash, createHmac, randomBytes } from "node:crypto";
import { db } from "../db";
import { env } from "../env";

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
