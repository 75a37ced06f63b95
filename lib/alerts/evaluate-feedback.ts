import type { SqlTx } from "../db";
import type { NewFeedback } from "../feedback/store-feedback";
import { type AlertRuleSpec, CONDITION_IDS } from "./catalog";
import { recordAlertFired } from "./evaluate";
import { combine } from "./filters";

// At most this many firings per rule and frequency window for feedback that belongs to no
// issue (those have no (rule, issue) row to throttle on). A DSN is public: without a bound,
// a script posting feedback would post as many messages into a team's Slack channel.
export const UNLINKED_FEEDBACK_BURST = 10;

/** The alert_deliveries.event_id of a feedback firing: the feedback row's id, marked as such. */
export const feedbackDeliveryKey = (feedbackId: string) => `feedback:${feedbackId}`;

type Rule = Pick<AlertRuleSpec, "id" | "name" | "actionMatch" | "frequency" | "environment" | "conditions" | "actions">;
type Firing = { rule: Rule; feedback: NewFeedback; issueId: number | null };

/**
 * Fires the project's rules with the new feedback condition for feedback just stored, in the
 * storing transaction (as evaluate.ts does for events), and returns the alert_deliveries ids to
 * queue after the commit. One indexed query when the batch has feedback and nothing else unless
 * a rule has the condition; batches without feedback never get here.
 *
 * A firing is about the feedback's issue when its associated event is stored in this project
 * (then the (rule, issue) throttle applies, shared with the rule's event firings); otherwise it
 * has no issue and fires for each feedback, up to UNLINKED_FEEDBACK_BURST per frequency window.
 */
export async function evaluateFeedbackAlerts(
  tx: SqlTx,
  project: { id: number },
  feedback: NewFeedback[],
  now: Date,
): Promise<string[]> {
  if (feedback.length === 0) return [];
  const rules = await tx.rows<Rule>`
    select id, name, action_match as "actionMatch", frequency, environment, conditions, actions
    from alert_rules
    where project_id = ${project.id} and conditions @> ${JSON.stringify([{ id: CONDITION_IDS.newFeedback }])}::jsonb
    order by id`;
  const holding = rules.filter((rule) => combine(rule.actionMatch, rule.conditions, (c) => c.id === CONDITION_IDS.newFeedback));
  if (holding.length === 0) return [];
  const issues = await issuesOf(tx, project.id, feedback);
  const firings: Firing[] = [];
  for (const rule of holding) {
    for (const item of feedback) {
      if (rule.environment !== null && item.environment !== rule.environment) continue;
      firings.push({ rule, feedback: item, issueId: item.associatedEventId ? (issues.get(item.associatedEventId) ?? null) : null });
    }
  }
  if (firings.length === 0) return [];
  return fire(tx, await throttle(tx, firings, now));
}

/** The issue of each associated event stored in this project (never another project's). */
async function issuesOf(tx: SqlTx, projectId: number, feedback: NewFeedback[]): Promise<Map<string, number>> {
  const ids = [...new Set(feedback.flatMap((f) => (f.associatedEventId ? [f.associatedEventId] : [])))];
  if (ids.length === 0) return new Map();
  const rows = await tx.rows<{ event_id: string; issue_id: number }>`
    select event_id, issue_id from events
    where project_id = ${projectId} and event_id = any(${ids}::text[]) and issue_id is not null`;
  return new Map(rows.map((r) => [r.event_id, r.issue_id]));
}

/**
 * Keeps the firings allowed now. The rules are locked first, in id order (no key update: a
 * second lane storing feedback for the same rule waits, so the unlinked count below is exact;
 * a rule deleted meanwhile is skipped). Linked firings go through alert_rule_firings as event
 * firings do; unlinked ones count the rule's recent unlinked feedback deliveries.
 */
async function throttle(tx: SqlTx, firings: Firing[], now: Date): Promise<Firing[]> {
  const ruleIds = [...new Set(firings.map((f) => f.rule.id))].sort((a, b) => a - b);
  const live = await tx.rows<{ id: number; recent: number }>`
    select r.id, (select count(distinct d.event_id)::int from alert_deliveries d
                  where d.rule_id = r.id and d.created_at > ${now.toISOString()}::timestamptz - r.frequency * interval '1 minute'
                    and d.issue_id is null and not d.test and d.event_id like 'feedback:%') as recent
    from alert_rules r where r.id = any(${ruleIds}::int[]) order by r.id for no key update of r`;
  const allowance = new Map(live.map((r) => [r.id, UNLINKED_FEEDBACK_BURST - r.recent]));
  const kept: Firing[] = [];
  const linked: Firing[] = [];
  for (const firing of firings) {
    if (!allowance.has(firing.rule.id)) continue;
    if (firing.issueId !== null) {
      linked.push(firing);
      continue;
    }
    const left = allowance.get(firing.rule.id)!;
    if (left <= 0) continue;
    allowance.set(firing.rule.id, left - 1);
    kept.push(firing);
  }
  // One firing per (rule, issue) in a batch: the first feedback on it.
  const first = new Map<string, Firing>();
  for (const f of linked) if (!first.has(`${f.rule.id}|${f.issueId}`)) first.set(`${f.rule.id}|${f.issueId}`, f);
  const candidates = [...first.values()].sort((a, b) => a.rule.id - b.rule.id || a.issueId! - b.issueId!);
  if (candidates.length > 0) {
    const fired = await tx.rows<{ rule_id: number; issue_id: number }>`
      insert into alert_rule_firings (rule_id, issue_id, last_fired_at)
      select r, i, ${now.toISOString()}::timestamptz
      from unnest(${candidates.map((f) => f.rule.id)}::int[], ${candidates.map((f) => f.issueId)}::int[]) as x(r, i)
      on conflict (rule_id, issue_id) do update set last_fired_at = excluded.last_fired_at
      where alert_rule_firings.last_fired_at <= excluded.last_fired_at
        - (select frequency from alert_rules where id = alert_rule_firings.rule_id) * interval '1 minute'
      returning rule_id, issue_id`;
    const firedKeys = new Set(fired.map((r) => `${r.rule_id}|${r.issue_id}`));
    kept.push(...candidates.filter((f) => firedKeys.has(`${f.rule.id}|${f.issueId}`)));
  }
  return kept;
}

/** One delivery per action of each firing; a linked firing also shows on its issue's activity. */
async function fire(tx: SqlTx, firings: Firing[]): Promise<string[]> {
  if (firings.length === 0) return [];
  const deliveries = firings.flatMap((f) => f.rule.actions.map((action) => ({ firing: f, action })));
  const rows =
    deliveries.length === 0
      ? []
      : await tx.rows<{ id: string }>`
          insert into alert_deliveries (rule_id, issue_id, event_id, action)
          select * from unnest(${deliveries.map((d) => d.firing.rule.id)}::int[], ${deliveries.map((d) => d.firing.issueId)}::int[],
                               ${deliveries.map((d) => feedbackDeliveryKey(d.firing.feedback.id))}::text[],
                               ${deliveries.map((d) => JSON.stringify(d.action))}::jsonb[])
          returning id`;
  await recordAlertFired(
    tx,
    firings.flatMap((f) => (f.issueId === null ? [] : [{ issueId: f.issueId, rule: f.rule }])),
  );
  return rows.map((r) => String(r.id));
}
