import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { AppError } from "../errors";
import type { Action } from "./catalog";
import { unsafeDeliverAction } from "./deliver/action";
import { unsafeLoadDelivery } from "./deliver/facts";
import { unsafeRecordAttempt } from "./deliver/process";
import { describeActionTarget } from "./describe";
import { enqueueAlertDeliveries } from "./enqueue";

// The delivery log of a rule (shown on its page), the test notification, and the sweeper that
// keeps the log's outbox moving and its size bounded.

export type DeliveryStatus = "pending" | "retrying" | "sent" | "failed";

export type DeliveryView = {
  id: string;
  action: Action;
  target: string;
  test: boolean;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  issue: { id: number; shortId: string; title: string } | null;
};

export type TestResult = { action: Action; target: string; ok: boolean; status: number | null; error: string | null };

const MAX_LIMIT = 200;

/** The rule of the project, both within the viewer's org; anything else is "not found". */
async function ruleInOrg(viewer: Viewer, projectId: number, ruleId: number) {
  const rule = await db().alertRule.findFirst({
    where: { id: ruleId, projectId, project: { orgId: viewer.orgId } },
    select: { id: true, actions: true, projectId: true, project: { select: { slug: true } } },
  });
  if (!rule) throw new AppError("not_found", "no such alert rule");
  return rule;
}

/** The rule's latest deliveries, newest first. */
export async function listAlertDeliveries(viewer: Viewer, projectId: number, ruleId: number, limit = 50): Promise<DeliveryView[]> {
  assertCan(viewer.role, "alerts:read");
  const rule = await ruleInOrg(viewer, projectId, ruleId);
  const rows = await db().alertDelivery.findMany({
    where: { ruleId: rule.id, rule: { projectId: rule.projectId, project: { orgId: viewer.orgId } } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.min(Math.max(1, Math.trunc(limit) || 1), MAX_LIMIT),
    select: {
      id: true,
      action: true,
      test: true,
      status: true,
      attempts: true,
      lastStatus: true,
      lastError: true,
      createdAt: true,
      lastAttemptAt: true,
      deliveredAt: true,
      issue: { select: { id: true, shortId: true, title: true } },
    },
  });
  return rows.map(({ id, action, status, issue, ...row }) => ({
    ...row,
    id: String(id),
    action: action as Action,
    target: describeActionTarget(action as Action),
    status: status as DeliveryStatus,
    issue: issue && { id: issue.id, shortId: `${rule.project.slug.toUpperCase()}-${issue.shortId}`, title: issue.title },
  }));
}

/**
 * Sends every action of the rule now, once, about the project's most recent issue and its
 * latest event (or a sample when the project has none), and logs each as a test delivery.
 * Each action is tried once: the person clicking wants to see what happens, not a retry later.
 */
export async function sendTestNotification(viewer: Viewer, projectId: number, ruleId: number): Promise<TestResult[]> {
  assertCan(viewer.role, "alerts:write");
  const rule = await ruleInOrg(viewer, projectId, ruleId);
  const actions = (Array.isArray(rule.actions) ? rule.actions : []) as Action[];
  if (actions.length === 0) throw new AppError("bad_request", "this rule has no actions to test");
  const issue = await db().issue.findFirst({
    where: { projectId: rule.projectId, project: { orgId: viewer.orgId } },
    orderBy: [{ lastSeen: "desc" }, { id: "desc" }],
    select: { id: true },
  });
  const event = issue
    ? await db().event.findFirst({ where: { projectId: rule.projectId, issueId: issue.id }, orderBy: { timestamp: "desc" }, select: { eventId: true } })
    : null;
  return Promise.all(
    actions.map(async (action) => {
      const row = await db().alertDelivery.create({
        data: { ruleId: rule.id, issueId: issue?.id ?? null, eventId: event?.eventId ?? null, action, test: true },
        select: { id: true },
      });
      const delivery = await unsafeLoadDelivery(row.id);
      if (!delivery?.loaded) throw new AppError("not_found", "no such alert rule");
      const outcome = await unsafeDeliverAction(action, delivery.loaded, delivery.secret);
      await unsafeRecordAttempt(row.id, outcome.ok ? "sent" : "failed", outcome);
      return { action, target: describeActionTarget(action), ok: outcome.ok, status: outcome.status, error: outcome.error };
    }),
  );
}

// A delivery still pending this long after it was written lost its job (the worker died
// between the batch's commit and the enqueue after it).
const PENDING_GRACE_MS = 60_000;
const KEEP_LOG_MS = 30 * 86_400_000;
const SWEEP_BATCH = 1000;

/** Re-queues lost deliveries (their job ids dedupe) and deletes log rows past their keep. */
export async function unsafeSweepAlertDeliveries(now = Date.now()): Promise<{ requeued: number; pruned: number }> {
  const lost = await db().alertDelivery.findMany({
    where: { status: "pending", test: false, createdAt: { lt: new Date(now - PENDING_GRACE_MS) } },
    orderBy: { createdAt: "asc" },
    take: SWEEP_BATCH,
    select: { id: true },
  });
  await enqueueAlertDeliveries(lost.map((row) => row.id));
  const pruned = await db().$executeRaw`
    delete from alert_deliveries where id in (
      select id from alert_deliveries where created_at < ${new Date(now - KEEP_LOG_MS)} order by created_at limit ${SWEEP_BATCH * 10})`;
  return { requeued: lost.length, pruned };
}
