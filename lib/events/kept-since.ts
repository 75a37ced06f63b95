import type { Viewer } from "../auth/viewer";
import { type Db, db } from "../db";
import { billingEnabled, retentionPlan } from "../billing/plans";
import { Prisma } from "../generated/prisma/client.ts";

const DAY = 86_400_000;

/**
 * The oldest receive time the viewer's org's plan still keeps, or null when nothing expires (billing
 * off: self-hosted keeps everything). Event and transaction reads filter on it so data past
 * retention is not served while it waits for the hourly retention job (a Free org's rows) or for
 * its whole week's partition to be dropped (up to 7 days after its newest row passed 90 days).
 * The filter also lets PostgreSQL skip the weeks before it.
 */
export async function eventsKeptSince(viewer: Viewer, client: Db = db(), now = Date.now()): Promise<Date | null> {
  if (!billingEnabled()) return null;
  const org = await client.organization.findUnique({ where: { id: viewer.orgId }, select: { plan: true } });
  if (!org) return null;
  return new Date(now - retentionPlan(org).retentionDays * DAY);
}

/**
 * `and e.received_at >= <cutoff>` for an event query aliased `e` (or a transaction query aliased
 * `t`: transactions are partitioned and retained by received_at as events are), or nothing.
 */
export function keptEvents(since: Date | null, alias: "e" | "t" = "e"): Prisma.Sql {
  return since ? Prisma.sql`and ${Prisma.raw(alias)}.received_at >= ${since}` : Prisma.empty;
}
