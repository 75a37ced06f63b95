import { db } from "../db";
import { env } from "../env";
import { limitsForOrg, QUOTA_CATEGORIES } from "../ingest/quota-policy";
import { logger } from "../logger";
import { sendMail } from "../mail";
import { periodBounds, periodOf } from "./plans";

// Emails to an org's owners when its errors this month pass 80% and 100% of the monthly quota:
// once per period and threshold (quota_notices), whatever the number of runs or processes.
// An org that jumps past both at once gets only the 100% email.

export const THRESHOLDS = [80, 100] as const;
const RETRY_UNSENT_FOR_MS = 3 * 86_400_000;

export async function unsafeSendQuotaNotices(now = Date.now()): Promise<{ notices: number; emails: number }> {
  const period = periodOf(now);
  const { start, end } = periodBounds(period);
  const usage = await db().outcomeCount.groupBy({
    by: ["orgId"],
    where: { day: { gte: start, lt: end }, outcome: "accepted", category: { in: [...QUOTA_CATEGORIES] } },
    _sum: { quantity: true },
  });
  const orgs = new Map(
    (
      await db().organization.findMany({
        where: { id: { in: usage.map((row) => row.orgId) } },
        select: { id: true, plan: true, subscriptionStatus: true, pastDueSince: true, onDemandBudgetCents: true },
      })
    ).map((org) => [org.id, org]),
  );
  let notices = 0;
  for (const row of usage) {
    const used = Number(row._sum.quantity ?? 0);
    const org = orgs.get(row.orgId);
    const limit = org && limitsForOrg(org, now).monthlyErrors;
    if (!limit) continue;
    const crossed = THRESHOLDS.filter((t) => used * 100 >= limit * t);
    if (crossed.length === 0) continue;
    const highest = Math.max(...crossed);
    const created = await db().quotaNotice.createMany({
      // Lower thresholds passed in the same jump are recorded as done without an email.
      data: crossed.map((threshold) => ({ orgId: row.orgId, period, threshold, sentAt: threshold === highest ? null : new Date(now) })),
      skipDuplicates: true,
    });
    notices += created.count;
  }
  return { notices, emails: await sendPending(now) };
}

/** Emails every recorded notice not sent yet (including ones whose send failed last time). */
async function sendPending(now: number): Promise<number> {
  const pending = await db().quotaNotice.findMany({
    where: { sentAt: null, createdAt: { gt: new Date(now - RETRY_UNSENT_FOR_MS) } },
    select: { orgId: true, period: true, threshold: true, org: { select: { name: true, slug: true, plan: true, subscriptionStatus: true, pastDueSince: true, onDemandBudgetCents: true } } },
  });
  let emails = 0;
  for (const notice of pending) {
    const owners = await db().membership.findMany({ where: { orgId: notice.orgId, role: "owner" }, select: { user: { select: { email: true } } } });
    const limit = limitsForOrg(notice.org, now).monthlyErrors ?? 0;
    const message = noticeText(notice.org, notice.threshold, limit, notice.period);
    try {
      for (const owner of owners) await sendMail({ to: owner.user.email, ...message });
    } catch (error) {
      logger.warn({ err: (error as Error).message, orgId: notice.orgId, threshold: notice.threshold }, "quota email not sent; retried next run");
      continue;
    }
    await db().quotaNotice.update({
      where: { orgId_period_threshold: { orgId: notice.orgId, period: notice.period, threshold: notice.threshold } },
      data: { sentAt: new Date(now) },
    });
    emails += owners.length;
  }
  return emails;
}

function noticeText(org: { name: string; slug: string }, threshold: number, limit: number, period: string) {
  const billing = `${env().APP_URL}/${org.slug}/settings/billing`;
  const resets = periodBounds(period).end.toISOString().slice(0, 10);
  const quota = limit.toLocaleString("en-US");
  if (threshold >= 100) {
    return {
      subject: `${org.name} has used its monthly error quota`,
      text:
        `${org.name} has sent ${quota} error events this month, its whole quota. New errors are dropped ` +
        `(SDKs are told to back off) until the quota resets on ${resets} (UTC).\n\n` +
        `Upgrade or set an on-demand budget to keep receiving errors: ${billing}\n`,
    };
  }
  return {
    subject: `${org.name} has used ${threshold}% of its monthly error quota`,
    text:
      `${org.name} has used ${threshold}% of its ${quota} error events for this month. ` +
      `At 100%, new errors are dropped until the quota resets on ${resets} (UTC).\n\nUsage and plans: ${billing}\n`,
  };
}
