import { db } from "../db";
import { SCOPES } from "../tokens";
import { authenticateRequest } from "./auth";

/**
 * What `GET /api/0/` says about the caller (sentry-cli's `info`): the token's scopes and its
 * user, or nulls without a token; a token that is bad is a 401, as in Sentry.
 */
export async function apiAuthInfo(request: Request) {
  if (!request.headers.get("authorization")) return { auth: null, user: null };
  const viewer = await authenticateRequest(request, SCOPES);
  const user = await db().user.findUnique({ where: { id: viewer.userId }, select: { id: true, name: true, email: true } });
  return {
    auth: { scopes: viewer.scopes },
    user: user ? { id: String(user.id), name: user.name || user.email, username: user.email, email: user.email } : null,
  };
}
