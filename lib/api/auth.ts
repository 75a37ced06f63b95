import type { Viewer } from "../auth/viewer";
import { AppError } from "../errors";
import { type Scope, authenticateApiToken } from "../tokens";

export type ApiViewer = Viewer & { scopes: Scope[] };

/**
 * Which token scopes let a request through, per kind of endpoint, after Sentry's permission
 * classes (a write or admin scope also reads). There is no event:admin here: deleting an issue
 * takes event:write, as Sentry's default member role may delete.
 */
export const API_SCOPES = {
  orgRead: ["org:read", "org:admin"],
  projectList: ["org:read", "org:admin", "project:read", "project:write"],
  projectRead: ["project:read", "project:write"],
  projectWrite: ["project:write"],
  eventRead: ["event:read", "event:write"],
  eventWrite: ["event:write"],
  // releases, deploys, commits, chunk uploads and artifact bundles (what sentry-cli does)
  releaseRead: ["project:read", "project:write", "project:releases", "org:ci"],
  releaseWrite: ["project:write", "project:releases", "org:ci"],
  // cron monitors and their check-ins (Sentry: project:read to see, project:write to change)
  monitorRead: ["project:read", "project:write", "org:read", "org:ci"],
  monitorWrite: ["project:write", "org:ci"],
  // user feedback (Sentry's user-reports: event:read / event:write) and release health
  feedbackRead: ["event:read", "event:write", "project:read"],
  feedbackWrite: ["event:write", "project:write"],
  sessionsRead: ["event:read", "event:write", "org:read"],
  // transaction groups, transactions, a transaction's spans and traces (Sentry's events endpoints)
  performanceRead: ["event:read", "event:write", "org:read"],
} as const satisfies Record<string, readonly Scope[]>;

/**
 * The viewer of an `Authorization: Bearer <token>` request: 401 without a usable token, 403
 * when the token has none of `scopes`. The token's org is the only org it can see.
 */
export async function authenticateRequest(request: Request, scopes: readonly Scope[]): Promise<ApiViewer> {
  const header = request.headers.get("authorization");
  if (!header) throw new AppError("unauthorized", "Authentication credentials were not provided.");
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new AppError("unauthorized", "Invalid authorization header; use: Bearer <token>");
  const viewer = await authenticateApiToken(match[1]!);
  if (!viewer) throw new AppError("unauthorized", "Invalid token");
  if (!scopes.some((scope) => viewer.scopes.includes(scope))) {
    throw new AppError(
      "forbidden",
      `You do not have permission to perform this action. This token needs one of these scopes: ${scopes.join(", ")}`,
    );
  }
  return viewer;
}
