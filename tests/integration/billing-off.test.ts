import { describe, expect, it } from "vitest";
import { POST as stripeWebhook } from "@/app/api/webhooks/stripe/route";
import type { Viewer } from "@/lib/auth/viewer";
import { openBillingPortal, startCheckout } from "@/lib/billing/checkout";
import { unsafeReportOverage } from "@/lib/billing/overage";
import { billingOverview } from "@/lib/billing/overview";
import { billingEnabled } from "@/lib/billing/plans";
import { unsafeEnforceRetention } from "@/lib/billing/retention";
import { db } from "@/lib/db";
import { limitsForOrg } from "@/lib/ingest/quota-policy";
import { inviteMember } from "@/lib/members";
import { createOrgWithProject } from "../support/factories";

// Self-hosted: no Stripe key, so billing is off and nothing is limited by plan.
describe("billing off (self-hosted)", () => {
  it("limits nothing by plan: the default quota applies, members and retention are unlimited", async () => {
    expect(billingEnabled()).toBe(false);
    const { org, project, user } = await createOrgWithProject();
    const owner: Viewer = { userId: user.id, orgId: org.id, role: "owner" };
    const state = await db().organization.findUniqueOrThrow({ where: { id: org.id } });
    expect(state.plan).toBe("free");
    // The DEFAULT_MONTHLY_*_QUOTA variables are unset (0): unlimited, as before billing existed.
    expect(limitsForOrg(state)).toEqual({
      monthlyErrors: null,
      projectErrorsPerHour: null,
      monthlyTransactions: null,
      projectTransactionsPerHour: null,
      monthlyAttachmentBytes: null,
      projectAttachmentBytesPerHour: null,
    });

    for (let i = 0; i < 3; i++) await inviteMember(owner, { email: `invitee-${i}-${org.id}@example.com`, role: "member" });
    expect(await db().invitation.count({ where: { orgId: org.id } })).toBe(3);

    const old = new Date(Date.now() - 400 * 86_400_000);
    await db().event.create({ data: { projectId: project.id, eventId: "a".repeat(32), timestamp: old, receivedAt: old, payload: {} } });
    expect(await unsafeEnforceRetention()).toMatchObject({ orgs: 0, events: 0 });
    expect(await db().event.count({ where: { projectId: project.id } })).toBe(1);
    expect(await unsafeReportOverage()).toEqual({ orgs: 0, chunks: 0, events: 0, failed: 0 });

    const overview = await billingOverview(owner);
    expect(overview).toMatchObject({ enabled: false, canManage: false, quota: null });
  });

  it("refuses checkout, the portal and webhooks", async () => {
    const { org, user } = await createOrgWithProject();
    const owner: Viewer = { userId: user.id, orgId: org.id, role: "owner" };
    await expect(startCheckout(owner, "team")).rejects.toMatchObject({ code: "bad_request", message: "billing is disabled on this installation" });
    await expect(openBillingPortal(owner)).rejects.toMatchObject({ code: "bad_request" });
    const res = await stripeWebhook(new Request("http://localhost/api/webhooks/stripe", { method: "POST", body: "{}", headers: { "stripe-signature": "t=1,v1=x" } }));
    expect(res.status).toBe(404);
  });
});
