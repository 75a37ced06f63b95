import type { Prisma } from "../generated/prisma/client.ts";
import { db, type Tx } from "../db";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";


export type AuditEntry = {
  action: string;
  targetType?: string;
  targetId?: string | number;
  data?: Record<string, unknown>;
};

/**
 * Records a security-relevant action of the viewer, in the caller's transaction if given. The
 * actor is null for changes made elsewhere (in Clerk, whose webhooks do not say who acted).
 */
export async function audit(
  viewer: { userId: Viewer["userId"] | null; orgId: Viewer["orgId"] },
  entry: AuditEntry,
  tx: Tx = db(),
): Promise<void> {
  await tx.auditLog.create({
    data: {
      orgId: viewer.orgId,
      actorId: viewer.userId,
      action: entry.action,
      targetType: entry.targetType ?? "",
      targetId: entry.targetId === undefined ? "" : String(entry.targetId),
      data: (entry.data ?? {}) as Prisma.InputJsonObject,
    },
  });
}

/** The org's audit log, newest first; owners and admins only. */
export async function listAuditLog(viewer: Viewer, options: { limit?: number; before?: bigint } = {}) {
  assertCan(viewer.role, "audit:read");
  return db().auditLog.findMany({
    where: { orgId: viewer.orgId, ...(options.before ? { id: { lt: options.before } } : {}) },
    orderBy: { id: "desc" },
    take: Math.min(options.limit ?? 100, 500),
    select: { id: true, action: true, targetType: true, targetId: true, data: true, createdAt: true, actorId: true },
  });
}
