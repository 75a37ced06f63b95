import type { Role } from "../generated/prisma/enums.ts";
import { AppError } from "../errors";

/**
 * Who may do what in an organization: the one matrix every page, action and API route goes
 * through (enforced in lib/, not only hidden in the UI).
 */
export const PERMISSIONS = {
  "org:read": ["owner", "admin", "member", "billing"],
  "org:update": ["owner", "admin"],
  "org:delete": ["owner"],
  "members:read": ["owner", "admin", "member", "billing"],
  "members:invite": ["owner", "admin"],
  "members:update": ["owner", "admin"],
  "members:remove": ["owner", "admin"],
  "projects:read": ["owner", "admin", "member"],
  "projects:create": ["owner", "admin"],
  "projects:update": ["owner", "admin"],
  "projects:delete": ["owner", "admin"],
  "keys:manage": ["owner", "admin"],
  // See and revoke every member's API tokens; anyone may see and revoke their own.
  "tokens:manage": ["owner", "admin"],
  "issues:read": ["owner", "admin", "member"],
  "issues:update": ["owner", "admin", "member"],
  "billing:read": ["owner", "admin", "billing"],
  "billing:manage": ["owner", "billing"],
  "audit:read": ["owner", "admin"],
  // Sentry lets members create and edit issue alerts by default.
  "alerts:read": ["owner", "admin", "member"],
  "alerts:write": ["owner", "admin", "member"],
  // Sentry's members create releases and upload source maps from CI.
  "releases:read": ["owner", "admin", "member"],
  "releases:write": ["owner", "admin", "member"],
  // Cron monitors, as Sentry's members manage them; feedback and release health are read
  // with the issues they belong to.
  "monitors:read": ["owner", "admin", "member"],
  "monitors:write": ["owner", "admin", "member"],
  "feedback:read": ["owner", "admin", "member"],
  "feedback:write": ["owner", "admin", "member"],
  "sessions:read": ["owner", "admin", "member"],
  // Performance (transactions, spans, traces): read as issues are; the Apdex threshold is a
  // project setting.
  "performance:read": ["owner", "admin", "member"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** Throws a 403 AppError unless the role has the permission. */
export function assertCan(role: Role, permission: Permission): void {
  if (!can(role, permission)) throw new AppError("forbidden", `your role (${role}) may not ${permission}`);
}

/** Only an owner may make someone an owner; admins manage the other roles. */
export function canAssignRole(actor: Role, target: Role): boolean {
  return can(actor, "members:update") && (target !== "owner" || actor === "owner");
}
