import type { Tx } from "../db";
import { AppError } from "../errors";
import { billingEnabled, effectivePlan } from "./plans";

/**
 * Refuses a new member beyond the plan's seats (billing on only; self-hosted has no limit).
 * Inviting counts pending invitations too, so a free org cannot hand out links it could never
 * honour; accepting counts members only (an invitation sent before a downgrade may still fit).
 */
export async function assertSeatAvailable(tx: Tx, orgId: number, options: { countPendingInvitations: boolean }, now = new Date()): Promise<void> {
  if (!billingEnabled()) return;
  // Two invitations at once must not both take the last seat: serialize on the org row.
  await tx.$queryRaw`select id from organizations where id = ${orgId} for update`;
  const org = await tx.organization.findUniqueOrThrow({
    where: { id: orgId },
    select: { plan: true, subscriptionStatus: true, pastDueSince: true, onDemandBudgetCents: true },
  });
  const plan = effectivePlan(org, now.getTime());
  if (plan.maxMembers === null) return;
  const members = await tx.membership.count({ where: { orgId } });
  const pending = options.countPendingInvitations
    ? await tx.invitation.count({ where: { orgId, acceptedAt: null, expiresAt: { gt: now } } })
    : 0;
  if (members + pending >= plan.maxMembers) {
    const seats = plan.maxMembers === 1 ? "1 member" : `${plan.maxMembers} members`;
    throw new AppError("forbidden", `the ${plan.name} plan allows ${seats}: upgrade to add more`);
  }
}
