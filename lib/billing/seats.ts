import type { Tx } from "../db";
import { AppError } from "../errors";
import { type Plan, billingEnabled, effectivePlan } from "./plans";

/**
 * Refuses a new member beyond the plan's seats (billing on only; self-hosted has no limit).
 * Inviting counts pending invitations too, so a free org cannot hand out links it could never
 * honour; accepting counts members only (an invitation sent before a downgrade may still fit).
 */
export async function assertSeatAvailable(tx: Tx, orgId: number, options: { countPendingInvitations: boolean }, now = new Date()): Promise<void> {
  if (!billingEnabled()) return;
  // Two invitations at once must not both take the last seat.
  const plan = await unsafeLockedOrgPlan(tx, orgId, now);
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

/**
 * The org's plan as it stands, with the org row locked to the end of the transaction: checks
 * of one plan limit (seats, monitors) take turns, so two creations at once cannot both take
 * the last one. No key update: rows referring to the org (their foreign keys) are not held up.
 */
export async function unsafeLockedOrgPlan(tx: Tx, orgId: number, now = new Date()): Promise<Plan> {
  await tx.$queryRaw`select id from organizations where id = ${orgId} for no key update`;
  const org = await tx.organization.findUniqueOrThrow({
    where: { id: orgId },
    select: { plan: true, subscriptionStatus: true, pastDueSince: true, onDemandBudgetCents: true },
  });
  return effectivePlan(org, now.getTime());
}
