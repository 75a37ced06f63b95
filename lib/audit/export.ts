import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { planAllows } from "../billing/plans";
import { db } from "../db";
import { AppError } from "../errors";

const MAX_ROWS = 100_000;
const COLUMNS = ["id", "created_at", "actor_id", "actor_email", "action", "target_type", "target_id", "data"] as const;

// A formula-looking cell (=, +, -, @) is quoted with a leading apostrophe so a spreadsheet shows
// it instead of running it.
function cell(value: unknown): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Whether the viewer may download the org's audit log (their role and the org's plan). */
export async function canExportAuditLog(viewer: Viewer): Promise<boolean> {
  if (viewer.role !== "owner" && viewer.role !== "admin") return false;
  return planAllows(await billingStateOf(viewer.orgId), "auditLogExport");
}

const billingStateOf = (orgId: number) =>
  db().organization.findUniqueOrThrow({
    where: { id: orgId },
    select: { plan: true, subscriptionStatus: true, pastDueSince: true, onDemandBudgetCents: true },
  });

/** The org's audit log as CSV, oldest first: owners and admins, on a plan with audit log export. */
export async function exportAuditLogCsv(viewer: Viewer): Promise<string> {
  assertCan(viewer.role, "audit:read");
  if (!planAllows(await billingStateOf(viewer.orgId), "auditLogExport")) throw new AppError("forbidden", "audit log export is part of the Business plan");
  const rows = await db().auditLog.findMany({
    where: { orgId: viewer.orgId },
    orderBy: { id: "asc" },
    take: MAX_ROWS,
    select: { id: true, createdAt: true, actorId: true, action: true, targetType: true, targetId: true, data: true },
  });
  const actorIds = [...new Set(rows.map((r) => r.actorId).filter((id): id is number => id !== null))];
  const actors = new Map(
    (await db().user.findMany({ where: { id: { in: actorIds } }, select: { id: true, email: true } })).map((u) => [u.id, u.email]),
  );
  const lines = rows.map((r) =>
    [r.id, r.createdAt.toISOString(), r.actorId, r.actorId === null ? "" : actors.get(r.actorId), r.action, r.targetType, r.targetId, JSON.stringify(r.data)]
      .map(cell)
      .join(","),
  );
  return `${[COLUMNS.join(","), ...lines].join("\n")}\n`;
}
