import { db } from "../db";
import { env } from "../env";
import { QUOTA_CATEGORIES } from "../ingest/quota-policy";
import { logger } from "../logger";
import { effectivePlan, inGoodStanding, onDemandAvailable, onDemandEvents, periodBounds, periodOf } from "./plans";
import { stripe } from "./stripe";

// Pay-as-you-go: error events accepted beyond the plan's monthly quota (which ingest allowed
// because the owner set an on-demand budget) are reported to Stripe as Billing Meter events.
// Each run adds at most one chunk per org and period: the new overage since the last chunk,
// never past what the budget buys. A chunk is written before it is sent and sent under a fixed
// identifier (and idempotency key), so a crash or a Stripe error means the same chunk is sent
// again later, never a second one for the same events.

export type OverageRun = { orgs: number; chunks: number; events: number; failed: number };

const identifierFor = (orgId: number, period: string, chunk: number) => `errorhub-overage-${orgId}-${period}-${chunk}`;

/** The periods a run looks at: this month, and last month during the first two days of this one. */
function periodsToReport(now: number): string[] {
  const current = periodOf(now);
  const sinceStart = now - periodBounds(current).start.getTime();
  return sinceStart < 2 * 86_400_000 ? [periodOf(periodBounds(current).start.getTime() - 1), current] : [current];
}

export async function unsafeReportOverage(now = Date.now()): Promise<OverageRun> {
  const run: OverageRun = { orgs: 0, chunks: 0, events: 0, failed: 0 };
  if (!onDemandAvailable()) return run;
  const orgs = await db().organization.findMany({
    where: {
      stripeCustomerId: { not: null },
      OR: [{ onDemandBudgetCents: { gt: 0 } }, { overageReports: { some: { reportedAt: null } } }],
    },
    select: { id: true },
    orderBy: { id: "asc" },
  });
  for (const { id } of orgs) {
    run.orgs++;
    for (const period of periodsToReport(now)) await addChunk(id, period, now);
    const sent = await sendPending(id, now);
    run.chunks += sent.chunks;
    run.events += sent.events;
    run.failed += sent.failed;
  }
  if (run.failed > 0) throw new Error(`${run.failed} overage chunk(s) could not be sent to Stripe; they are retried`);
  return run;
}

/** Records the next chunk of an org's billable overage in a period, if there is new overage. */
async function addChunk(orgId: number, period: string, now: number): Promise<void> {
  const { start, end } = periodBounds(period);
  await db().$transaction(async (tx) => {
    // One run at a time per org: the chunk number and the sum below must not race.
    await tx.$queryRaw`select id from organizations where id = ${orgId} for update`;
    const org = await tx.organization.findUniqueOrThrow({
      where: { id: orgId },
      select: { plan: true, subscriptionStatus: true, pastDueSince: true, onDemandBudgetCents: true },
    });
    const used = await tx.outcomeCount.aggregate({
      where: { orgId, day: { gte: start, lt: end }, outcome: "accepted", category: { in: [...QUOTA_CATEGORIES] } },
      _sum: { quantity: true },
    });
    const budgetEvents = inGoodStanding(org, now) ? onDemandEvents(org.onDemandBudgetCents) : 0;
    const overage = Math.max(0, Number(used._sum.quantity ?? 0) - effectivePlan(org, now).monthlyErrors);
    const billable = Math.min(overage, budgetEvents);
    const reported = await tx.overageReport.aggregate({ where: { orgId, period }, _sum: { quantity: true }, _max: { chunk: true } });
    const delta = billable - (reported._sum.quantity ?? 0);
    if (delta <= 0) return;
    const chunk = (reported._max.chunk ?? 0) + 1;
    await tx.overageReport.create({ data: { orgId, period, chunk, quantity: delta, identifier: identifierFor(orgId, period, chunk) } });
  });
}

/** Sends an org's chunks not yet acknowledged by Stripe, oldest first. */
async function sendPending(orgId: number, now: number): Promise<{ chunks: number; events: number; failed: number }> {
  const result = { chunks: 0, events: 0, failed: 0 };
  const org = await db().organization.findUniqueOrThrow({ where: { id: orgId }, select: { stripeCustomerId: true } });
  const pending = await db().overageReport.findMany({ where: { orgId, reportedAt: null }, orderBy: [{ period: "asc" }, { chunk: "asc" }] });
  for (const chunk of pending) {
    // Usage of a closed month is dated inside that month.
    const timestamp = Math.min(Math.floor(now / 1000), Math.floor(periodBounds(chunk.period).end.getTime() / 1000) - 1);
    try {
      await (await stripe()).billing.meterEvents.create(
        {
          event_name: env().STRIPE_METER_EVENT_NAME!,
          payload: { stripe_customer_id: org.stripeCustomerId!, value: String(chunk.quantity) },
          identifier: chunk.identifier,
          timestamp,
        },
        { idempotencyKey: chunk.identifier },
      );
    } catch (error) {
      logger.warn({ err: (error as Error).message, orgId, identifier: chunk.identifier }, "overage meter event not sent");
      result.failed++;
      // Later chunks wait, so Stripe sees them in order.
      break;
    }
    await db().overageReport.update({ where: { orgId_period_chunk: { orgId, period: chunk.period, chunk: chunk.chunk } }, data: { reportedAt: new Date(now) } });
    result.chunks++;
    result.events += chunk.quantity;
  }
  return result;
}
