// First: billing on with a Stripe stand-in, and mail going to an SMTP server in this process,
// both before lib/ reads the environment.
import { METER_EVENT, standIn } from "../support/billing-env";
import { closeSmtp, mails } from "../support/smtp-catcher";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { unsafeReportOverage } from "@/lib/billing/overage";
import { unsafeEnforceRetention } from "@/lib/billing/retention";
import { db } from "@/lib/db";
import { packSketch } from "@/lib/performance/sketch-bytes";
import { processors } from "@/workers/processors";
import { quotaNoticesJob } from "@/workers/processors/quota-notices";
import { addMember } from "../support/billing";
import { createOrgWithProject } from "../support/factories";

afterAll(async () => {
  await standIn.close();
  await closeSmtp();
});

const DAY = 86_400_000;
const today = () => new Date(new Date().toISOString().slice(0, 10));
const period = () => new Date().toISOString().slice(0, 7);

/** Accepted errors counted for the org today, as flush-outcomes would have written them. */
async function addUsage(orgId: number, projectId: number, quantity: number) {
  await db().$executeRaw`
    insert into outcome_counts (org_id, project_id, day, category, outcome, reason, quantity)
    values (${orgId}, ${projectId}, ${today()}, 'error', 'accepted', '', ${quantity})
    on conflict (org_id, project_id, day, category, outcome, reason) do update set quantity = outcome_counts.quantity + excluded.quantity`;
}

async function paidOrg(plan: "team" | "business", data: { onDemandBudgetCents?: number; subscriptionStatus?: string; pastDueSince?: Date } = {}) {
  const tenant = await createOrgWithProject();
  const customer = `cus_${randomBytes(6).toString("hex")}`;
  await db().organization.update({
    where: { id: tenant.org.id },
    data: { plan, subscriptionStatus: "active", stripeCustomerId: customer, stripeSubscriptionId: `sub_${customer}`, ...data },
  });
  return { ...tenant, customer };
}

describe("the jobs are registered with the worker", () => {
  it("runs report-overage, quota-notices and enforce-retention on the maintenance queue on a schedule", () => {
    const byName = new Map(processors.map((p) => [p.name, p]));
    for (const name of ["report-overage", "quota-notices", "enforce-retention"]) {
      expect(byName.get(name)).toMatchObject({ queue: "maintenance", every: expect.any(Number) });
      expect(byName.get(name)!.schema.safeParse({ orgId: 1 }).success).toBe(false);
    }
  });
});

describe("quota emails", () => {
  it("emails the owners at 80% and at 100% of the monthly quota, once each", async () => {
    const { org, project, user } = await createOrgWithProject();
    const second = await addMember(org.id, "owner");
    await addMember(org.id, "admin");
    const mine = () => mails.filter((m) => m.subject.startsWith(org.name));
    const run = () => quotaNoticesJob.handle({}, undefined as never);

    await addUsage(org.id, project.id, 3_999);
    await run();
    expect(mine()).toEqual([]);

    await addUsage(org.id, project.id, 1);
    await run();
    await run();
    expect(mine().map((m) => [m.subject, m.to])).toEqual(
      expect.arrayContaining([
        [`${org.name} has used 80% of its monthly error quota`, [user.email]],
        [`${org.name} has used 80% of its monthly error quota`, [second.user.email]],
      ]),
    );
    expect(mine()).toHaveLength(2);
    expect(mine()[0]!.text).toContain("80% of its 5,000 error events for this month");
    expect(mine()[0]!.text).toContain(`/${org.slug}/settings/billing`);
    expect(mine()[0]!.from).toBe("noreply@localhost");

    await addUsage(org.id, project.id, 1_000);
    await run();
    await run();
    const full = mine().filter((m) => m.subject === `${org.name} has used its monthly error quota`);
    expect(full.map((m) => m.to[0]).sort()).toEqual([user.email, second.user.email].sort());
    expect(full[0]!.text).toContain("New errors are dropped");
    expect(mine()).toHaveLength(4);
    expect(await db().quotaNotice.findMany({ where: { orgId: org.id }, select: { period: true, threshold: true, sentAt: true } })).toEqual([
      { period: period(), threshold: 80, sentAt: expect.any(Date) },
      { period: period(), threshold: 100, sentAt: expect.any(Date) },
    ]);
  });

  it("sends only the 100% email when an org passes both at once, against its plan's quota", async () => {
    const { org, project, user } = await paidOrg("team");
    await addUsage(org.id, project.id, 45_000);
    await quotaNoticesJob.handle({}, undefined as never);
    expect(mails.filter((m) => m.to.includes(user.email)).map((m) => m.subject)).toEqual([`${org.name} has used 80% of its monthly error quota`]);
    await addUsage(org.id, project.id, 5_000);
    await quotaNoticesJob.handle({}, undefined as never);
    const { org: other, project: otherProject, user: otherOwner } = await createOrgWithProject();
    await addUsage(other.id, otherProject.id, 6_000);
    await quotaNoticesJob.handle({}, undefined as never);
    expect(mails.filter((m) => m.to.includes(otherOwner.email)).map((m) => m.subject)).toEqual([`${other.name} has used its monthly error quota`]);
    expect(mails.filter((m) => m.to.includes(user.email))).toHaveLength(2);
  });
});

describe("pay-as-you-go overage", () => {
  const meterEventsFor = (customer: string) =>
    standIn.requestsTo("POST", "/v1/billing/meter_events").filter((r) => r.body.payload?.stripe_customer_id === customer);

  it("reports overage beyond the plan's quota as meter events, in chunks with stable identifiers, and stops at the budget", async () => {
    // $3 at 30 cents per 1,000 errors: 10,000 errors beyond the team plan's 50,000.
    const { org, project, customer } = await paidOrg("team", { onDemandBudgetCents: 300 });
    await addUsage(org.id, project.id, 50_000);
    await unsafeReportOverage();
    expect(meterEventsFor(customer)).toHaveLength(0);

    await addUsage(org.id, project.id, 4_000);
    await unsafeReportOverage();
    await unsafeReportOverage();
    const first = meterEventsFor(customer);
    expect(first).toHaveLength(1);
    expect(first[0]!.body).toMatchObject({
      event_name: METER_EVENT,
      payload: { stripe_customer_id: customer, value: "4000" },
      identifier: `errorhub-overage-${org.id}-${period()}-1`,
    });
    expect(first[0]!.idempotencyKey).toBe(first[0]!.body.identifier);
    expect(Math.abs(Number(first[0]!.body.timestamp) - Date.now() / 1000)).toBeLessThan(60);

    // 16,000 over the plan, but the budget buys 10,000: 6,000 more, then nothing.
    await addUsage(org.id, project.id, 12_000);
    await unsafeReportOverage();
    await unsafeReportOverage();
    expect(meterEventsFor(customer).map((r) => [r.body.identifier, r.body.payload.value])).toEqual([
      [`errorhub-overage-${org.id}-${period()}-1`, "4000"],
      [`errorhub-overage-${org.id}-${period()}-2`, "6000"],
    ]);
    const reported = await db().overageReport.aggregate({ where: { orgId: org.id }, _sum: { quantity: true } });
    expect(reported._sum.quantity).toBe(10_000);
  });

  it("sends a chunk Stripe did not take again, under the same identifier, never as a new one", async () => {
    const { org, project, customer } = await paidOrg("business", { onDemandBudgetCents: 10_000 });
    await addUsage(org.id, project.id, 100_000 + 2_500);
    standIn.failRequests(/^\/v1\/billing\/meter_events$/);
    try {
      await expect(unsafeReportOverage()).rejects.toThrow(/could not be sent to Stripe/);
    } finally {
      standIn.failRequests(null);
    }
    expect(await db().overageReport.findMany({ where: { orgId: org.id }, select: { chunk: true, quantity: true, reportedAt: true } })).toEqual([
      { chunk: 1, quantity: 2_500, reportedAt: null },
    ]);
    await unsafeReportOverage();
    const sent = meterEventsFor(customer);
    // The failed attempts (with the client's retries) and the one that went through: one identifier.
    expect(new Set(sent.map((r) => r.body.identifier))).toEqual(new Set([`errorhub-overage-${org.id}-${period()}-1`]));
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect((await db().overageReport.findFirstOrThrow({ where: { orgId: org.id } })).reportedAt).not.toBeNull();
    await unsafeReportOverage();
    expect(meterEventsFor(customer)).toHaveLength(sent.length);
  });

  it("bills nothing on demand once a failed payment's grace period is over", async () => {
    const { org, project, customer } = await paidOrg("team", {
      onDemandBudgetCents: 1_000,
      subscriptionStatus: "past_due",
      pastDueSince: new Date(Date.now() - 10 * DAY),
    });
    await addUsage(org.id, project.id, 60_000);
    await unsafeReportOverage();
    expect(meterEventsFor(customer)).toHaveLength(0);
  });
});

describe("retention by plan", () => {
  async function eventsAt(projectId: number, issueId: number | null, ages: number[], now: number) {
    for (const age of ages) {
      const at = new Date(now - age * DAY);
      await db().event.create({
        data: { projectId, issueId, eventId: randomBytes(16).toString("hex"), timestamp: at, receivedAt: at, payload: { message: `${age} days old` } },
      });
    }
  }

  async function issueSeen(projectId: number, shortId: number, lastSeenDaysAgo: number, now: number) {
    const lastSeen = new Date(now - lastSeenDaysAgo * DAY);
    const issue = await db().issue.create({
      data: { projectId, shortId, title: `seen ${lastSeenDaysAgo} days ago`, firstSeen: new Date(now - 100 * DAY), lastSeen },
    });
    await db().issueHash.create({ data: { projectId, hash: randomBytes(16).toString("hex"), issueId: issue.id } });
    await db().issueTagValue.create({ data: { issueId: issue.id, key: "browser", value: "Chrome", timesSeen: 1, firstSeen: lastSeen, lastSeen } });
    for (const age of [lastSeenDaysAgo, 60]) {
      await db().issueHourlyCount.create({ data: { issueId: issue.id, hour: new Date(Math.floor((now - age * DAY) / 3_600_000) * 3_600_000), count: 1 } });
    }
    return issue;
  }

  it("deletes what is older than the plan keeps, in bounded batches, and a rerun carries on", async () => {
    const now = Date.now();
    const free = await createOrgWithProject();
    const team = await paidOrg("team");
    // Free keeps 30 days: five old events go, the recent one stays.
    const staleIssue = await issueSeen(free.project.id, 1, 45, now);
    const liveIssue = await issueSeen(free.project.id, 2, 5, now);
    await eventsAt(free.project.id, staleIssue.id, [45, 40], now);
    await eventsAt(free.project.id, liveIssue.id, [35, 31, 33, 10], now);
    // Team keeps 90 days.
    const teamIssue = await issueSeen(team.project.id, 1, 45, now);
    await eventsAt(team.project.id, teamIssue.id, [45, 40, 10], now);

    const first = await unsafeEnforceRetention({ now, batchSize: 2, maxBatches: 1 });
    expect(first.more).toBe(true);
    const second = await unsafeEnforceRetention({ now, batchSize: 2, maxBatches: 10 });
    expect(first.events + second.events).toBeGreaterThanOrEqual(3);

    const left = await db().event.findMany({ where: { projectId: free.project.id }, select: { payload: true } });
    expect(left.map((e) => e.payload)).toEqual([{ message: "10 days old" }]);
    expect(await db().issue.findMany({ where: { projectId: free.project.id }, select: { id: true } })).toEqual([{ id: liveIssue.id }]);
    // The stale issue's counters went with it; the live one keeps only its recent hours.
    expect(await db().issueHash.count({ where: { issueId: staleIssue.id } })).toBe(0);
    expect(await db().issueTagValue.count({ where: { issueId: staleIssue.id } })).toBe(0);
    expect(await db().issueHourlyCount.count({ where: { issueId: liveIssue.id } })).toBe(1);

    expect(await db().event.count({ where: { projectId: team.project.id } })).toBe(3);
    expect(await db().issueHourlyCount.count({ where: { issueId: teamIssue.id } })).toBe(2);

    // Nothing left to do: a rerun deletes nothing of these orgs.
    const again = await unsafeEnforceRetention({ now });
    expect(again.more).toBe(false);
    expect(await db().event.count({ where: { projectId: { in: [free.project.id, team.project.id] } } })).toBe(4);
  });

  it("deletes attachments, feedback and check-ins older than the plan keeps, in bounded batches", async () => {
    const now = Date.now();
    const free = await createOrgWithProject();
    const team = await paidOrg("team");
    const add = async (projectId: number, ages: number[]) => {
      for (const age of ages) {
        const at = new Date(now - age * DAY);
        const eventId = randomBytes(16).toString("hex");
        await db().eventAttachment.create({ data: { projectId, eventId, name: `${age}.txt`, size: 4, data: Buffer.from("data"), createdAt: at } });
        await db().feedback.create({ data: { projectId, eventId, message: `${age} days old`, createdAt: at } });
        await db().checkIn.create({
          data: { projectId, checkInId: eventId, monitorSlug: "nightly", status: "ok", createdAt: at, updatedAt: at, payload: {} },
        });
      }
    };
    // Free keeps 30 days, team 90.
    await add(free.project.id, [45, 40, 31, 10]);
    await add(team.project.id, [45, 10]);

    const first = await unsafeEnforceRetention({ now, batchSize: 2, maxBatches: 1 });
    expect(first.more).toBe(true);
    await unsafeEnforceRetention({ now, batchSize: 2, maxBatches: 10 });

    const names = async (projectId: number) => ({
      attachments: (await db().eventAttachment.findMany({ where: { projectId }, select: { name: true }, orderBy: { id: "asc" } })).map((a) => a.name),
      feedback: (await db().feedback.findMany({ where: { projectId }, select: { message: true }, orderBy: { id: "asc" } })).map((f) => f.message),
      checkIns: await db().checkIn.count({ where: { projectId } }),
    });
    expect(await names(free.project.id)).toEqual({ attachments: ["10.txt"], feedback: ["10 days old"], checkIns: 1 });
    expect(await names(team.project.id)).toEqual({ attachments: ["45.txt", "10.txt"], feedback: ["45 days old", "10 days old"], checkIns: 2 });
  });

  it("deletes transaction stats and error counts once their whole hour or day is older than the plan keeps", async () => {
    const now = Date.now();
    const HOUR = 3_600_000;
    const free = await createOrgWithProject();
    const team = await paidOrg("team");
    const floor = (ms: number, width: number) => new Date(Math.floor(ms / width) * width);
    const add = async (projectId: number) => {
      const group = await db().transactionGroup.create({ data: { projectId, name: "GET /cart", op: "http.server", method: "GET" } });
      const cutoff = now - 30 * DAY;
      // [resolution, bucket]: the hour and the day before the cutoff's go, the ones holding it stay
      const buckets = [
        ["h", floor(cutoff - HOUR, HOUR)],
        ["h", floor(cutoff, HOUR)],
        ["d", floor(cutoff - DAY, DAY)],
        ["d", floor(cutoff, DAY)],
        ["h", floor(now - 10 * DAY, HOUR)],
      ] as const;
      for (const [resolution, bucket] of buckets) {
        await db().transactionStat.create({ data: { groupId: group.id, projectId, resolution, bucket, count: 1, durationSum: 5, sketch: packSketch({ 300: 1 }) } });
        await db().transactionErrorStat.create({ data: { projectId, resolution, bucket, name: "GET /cart", count: 1 } });
      }
      return group;
    };
    const freeGroup = await add(free.project.id);
    await add(team.project.id);

    const first = await unsafeEnforceRetention({ now, batchSize: 1, maxBatches: 1 });
    expect(first.more).toBe(true);
    await unsafeEnforceRetention({ now, batchSize: 1, maxBatches: 10 });

    const left = async (projectId: number) => ({
      stats: (await db().transactionStat.findMany({ where: { projectId }, orderBy: [{ resolution: "asc" }, { bucket: "asc" }] })).map((r) => [r.resolution, r.bucket.getTime()]),
      errors: (await db().transactionErrorStat.findMany({ where: { projectId }, orderBy: [{ resolution: "asc" }, { bucket: "asc" }] })).map((r) => [r.resolution, r.bucket.getTime()]),
    });
    const cutoff = now - 30 * DAY;
    const kept = [
      ["d", floor(cutoff, DAY).getTime()],
      ["h", floor(cutoff, HOUR).getTime()],
      ["h", floor(now - 10 * DAY, HOUR).getTime()],
    ];
    expect(await left(free.project.id)).toEqual({ stats: kept, errors: kept });
    expect((await left(team.project.id)).stats).toHaveLength(5);
    expect((await left(team.project.id)).errors).toHaveLength(5);
    // The group stays for the next transaction of its name.
    expect(await db().transactionGroup.count({ where: { id: freeGroup.id } })).toBe(1);
  });
});
