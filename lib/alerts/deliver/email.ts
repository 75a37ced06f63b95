import { can } from "../../auth/permissions";
import { asideSqlRows } from "../../db";
import type { Role } from "../../generated/prisma/enums.ts";
import { env } from "../../env";
import { sendMail } from "../../mail";
import type { ACTION_IDS, Action } from "../catalog";
import { type AlertFacts, emailMessage } from "./payloads";

type EmailAction = Extract<Action, { id: typeof ACTION_IDS.email }>;

// Sentry counts a member as active when seen within this window.
const ACTIVE_WITHIN_MS = 90 * 86_400_000;

type Candidate = { id: number; email: string; role: Role; alertEmails: string; verified: boolean };

/**
 * Who gets an alert email, in the issue's org only (the org id comes from the rule's project,
 * never from job data). Members whose role may not read projects (billing) get none; nor do
 * built-in accounts whose address is unconfirmed (anyone can sign up with someone else's
 * address); Clerk users count as confirmed. Each person's own setting applies last: all,
 * assigned (only issues assigned to them) or none.
 */
export async function unsafeEmailRecipients(
  orgId: number,
  action: EmailAction,
  issue: { assigneeId: number | null },
  now = Date.now(),
): Promise<string[]> {
  let chosen: Candidate[];
  if (action.targetType === "Member") {
    const userId = Number(action.targetIdentifier);
    chosen = Number.isSafeInteger(userId) ? await members(orgId, { userId }) : [];
  } else {
    // No ownership rules yet: the issue's owner is its assignee, when it has one.
    const owner = issue.assigneeId === null ? [] : await members(orgId, { userId: issue.assigneeId });
    const fallthrough = action.fallthroughType ?? "ActiveMembers";
    chosen =
      owner.length > 0 || fallthrough === "NoOne"
        ? owner
        : await members(orgId, { activeSince: fallthrough === "ActiveMembers" ? new Date(now - ACTIVE_WITHIN_MS) : null });
  }
  const emails = chosen
    .filter((user) => user.verified && can(user.role, "projects:read"))
    .filter((user) => user.alertEmails === "all" || (user.alertEmails === "assigned" && user.id === issue.assigneeId))
    .map((user) => user.email);
  return [...new Set(emails)];
}

/**
 * The org's members, or one of them, or those active since a date: signed in (a session seen),
 * used an API token of this org, joined, or had their account updated (Clerk's mirror does on
 * profile changes). Plain SQL: email deliveries come in bursts, run by the worker beside the drain.
 */
async function members(orgId: number, only: { userId?: number; activeSince?: Date | null }): Promise<Candidate[]> {
  const since = only.activeSince ?? null;
  return asideSqlRows<Candidate>`
    select u.id, u.email, m.role::text as role, u.alert_emails as "alertEmails",
           (u.email_verified_at is not null or u.clerk_id is not null) as verified
    from memberships m join users u on u.id = m.user_id
    where m.org_id = ${orgId}::int
      and (${only.userId ?? null}::int is null or m.user_id = ${only.userId ?? null}::int)
      and (${since}::timestamptz is null or m.created_at >= ${since}::timestamptz or u.updated_at >= ${since}::timestamptz
           or exists (select 1 from sessions s where s.user_id = u.id and s.last_seen_at >= ${since}::timestamptz)
           or exists (select 1 from api_tokens t where t.user_id = u.id and t.org_id = m.org_id and t.last_used_at >= ${since}::timestamptz))`;
}

export type EmailResult = { sent: number; error: string | null };

export const SMTP_UNSET = "not sent: SMTP_URL is unset (set it to send alert emails)";

/**
 * One message per recipient; a failure to hand one to SMTP fails the delivery (it is retried).
 * Without SMTP nothing can be sent: the delivery log says so instead of calling it sent.
 */
export async function unsafeSendAlertEmail(orgId: number, action: EmailAction, facts: AlertFacts, issue: { assigneeId: number | null }): Promise<EmailResult> {
  if (!env().SMTP_URL) return { sent: 0, error: SMTP_UNSET };
  const recipients = await unsafeEmailRecipients(orgId, action, issue);
  if (recipients.length === 0) return { sent: 0, error: null };
  const message = emailMessage(facts);
  for (const to of recipients) await sendMail({ to, ...message });
  return { sent: recipients.length, error: null };
}
