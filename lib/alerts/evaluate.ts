import type { SqlTx } from "../db";
import type { PreparedEvent } from "../events/prepare";
import type { IssueFacts } from "../events/store-errors";
import { type AlertRuleSpec, CONDITION_IDS, type Condition, FILTER_IDS, INTERVAL_MINUTES } from "./catalog";
import { describeActionTarget } from "./describe";
import { combine, type FilterContext, latestRelease, passesFilters } from "./filters";
import { countFrequencies, type FrequencyCounts } from "./frequency";

/** A rule, and those of the batch's issues it fired for within its frequency (read with it). */
type Rule = AlertRuleSpec & { throttled: number[] | null };
type Firing = { rule: Rule; issue: IssueFacts; event: PreparedEvent };

/**
 * Evaluates a project's issue alert rules on what one stored batch did to its issues, in the
 * batch's transaction: a batch part rolled back (to isolate a bad item) takes its firings with
 * it. Returns the ids of the alert_deliveries rows inserted, to be queued once the transaction
 * commits.
 *
 * The rules are read on every batch (one indexed query, no cache) so an edited or deleted rule
 * acts at once; a project without rules pays that query and nothing else.
 */
export async function evaluateAlertRules(
  tx: SqlTx,
  project: { id: number; orgId: number },
  issues: IssueFacts[],
  now: Date,
): Promise<string[]> {
  if (issues.length === 0) return [];
  // Which issues each rule is still throttled for comes along (a plain read, no lock): most of
  // an every-event rule's firings stop there, before any lock or write.
  const rules = await tx.rows<Rule>`
    select r.id, r.project_id as "projectId", r.name, r.action_match as "actionMatch", r.filter_match as "filterMatch",
           r.frequency, r.environment, r.conditions, r.filters, r.actions,
           (select array_agg(f.issue_id) from alert_rule_firings f
            where f.rule_id = r.id and f.issue_id = any(${issues.map((i) => i.issueId)}::int[])
              and f.last_fired_at > ${now.toISOString()}::timestamptz - r.frequency * interval '1 minute') as throttled
    from alert_rules r
    where r.project_id = ${project.id}
      -- feedback rules fire where feedback is stored (evaluate-feedback.ts), never on events
      and not r.conditions @> ${JSON.stringify([{ id: CONDITION_IDS.newFeedback }])}::jsonb
    order by r.id`;
  if (rules.length === 0) return [];
  // Earliest first, so a rule fires on the first event it holds for; sorted only here, for
  // projects with rules, not on every batch of the drain.
  for (const issue of issues) issue.events.sort((a, b) => a.event.timestamp.getTime() - b.event.timestamp.getTime());
  const counts = await countFrequencies(tx, project.id, issues, rules, now);
  const needsLatest = rules.some((r) => r.filters.some((f) => f.id === FILTER_IDS.latestRelease));
  const context: FilterContext = { now, latestRelease: needsLatest ? await latestRelease(tx, project.id) : null };
  const firings: Firing[] = [];
  for (const rule of rules) {
    const throttled = new Set(rule.throttled ?? []);
    for (const issue of issues) {
      if (throttled.has(issue.issueId)) continue;
      const event = triggeringEvent(rule, issue, counts, context);
      if (event) firings.push({ rule, issue, event });
    }
  }
  if (firings.length === 0) return [];
  return fire(tx, await throttle(tx, firings, now));
}

/** The first of the issue's events in this batch on which the rule holds, if any. */
function triggeringEvent(rule: AlertRuleSpec, issue: IssueFacts, counts: FrequencyCounts, context: FilterContext) {
  const { events } = issue;
  for (let index = 0; index < events.length; index++) {
    const p = events[index]!;
    if (rule.environment !== null && p.event.environment !== rule.environment) continue;
    if (!passesFilters(rule.filters, rule.filterMatch, p.event, issue, context)) continue;
    const holds = (condition: Condition) => conditionHolds(condition, issue, index, counts);
    if (combine(rule.actionMatch, rule.conditions, holds)) return p;
  }
  return undefined;
}

function conditionHolds(condition: Condition, issue: IssueFacts, index: number, counts: FrequencyCounts): boolean {
  switch (condition.id) {
    case CONDITION_IDS.firstSeen:
      return issue.isNew && index === 0;
    case CONDITION_IDS.regression:
      return issue.regressed;
    case CONDITION_IDS.reappeared:
      return issue.reappeared;
    case CONDITION_IDS.everyEvent:
      return true;
    case CONDITION_IDS.eventFrequency: {
      // The count as it stood after this event: the batch's later events not yet counted, so
      // the event that crossed the threshold is the one the alert names.
      const after = counts.get(issue.issueId, "events", INTERVAL_MINUTES[condition.interval]);
      return after - (issue.events.length - 1 - index) > condition.value;
    }
    case CONDITION_IDS.uniqueUserFrequency:
      return counts.get(issue.issueId, "users", INTERVAL_MINUTES[condition.interval]) > condition.value;
    case CONDITION_IDS.newFeedback:
      // Feedback is not an event: evaluate-feedback.ts fires it where feedback is stored.
      return false;
  }
}

/**
 * Keeps the firings whose rule has not fired for their issue within its frequency, and records
 * them as fired. They lock their rules first (key share: a rule deleted meanwhile is skipped
 * rather than failing the batch on its foreign key, and a delete waits for this transaction),
 * then upsert their firing rows, whose where clause decides under the row lock (the read with
 * the rules took none), so a second lane of the project sees the first one's firing. All in
 * (rule, issue) order, so two lanes cannot deadlock.
 */
async function throttle(tx: SqlTx, firings: Firing[], now: Date): Promise<Firing[]> {
  firings.sort((a, b) => a.rule.id - b.rule.id || a.issue.issueId - b.issue.issueId);
  const keyOf = (ruleId: number, issueId: number) => `${ruleId}|${issueId}`;
  const ruleIds = [...new Set(firings.map((f) => f.rule.id))];
  const live = await tx.rows<{ id: number }>`
    select id from alert_rules where id = any(${ruleIds}::int[]) order by id for key share`;
  const liveIds = new Set(live.map((r) => r.id));
  const candidates = firings.filter((f) => liveIds.has(f.rule.id));
  if (candidates.length === 0) return [];
  const fired = await tx.rows<{ rule_id: number; issue_id: number }>`
    insert into alert_rule_firings (rule_id, issue_id, last_fired_at)
    select r, i, ${now.toISOString()}::timestamptz
    from unnest(${candidates.map((f) => f.rule.id)}::int[], ${candidates.map((f) => f.issue.issueId)}::int[]) as x(r, i)
    on conflict (rule_id, issue_id) do update set last_fired_at = excluded.last_fired_at
    where alert_rule_firings.last_fired_at <= excluded.last_fired_at
      - (select frequency from alert_rules where id = alert_rule_firings.rule_id) * interval '1 minute'
    returning rule_id, issue_id`;
  const firedKeys = new Set(fired.map((r) => keyOf(r.rule_id, r.issue_id)));
  return candidates.filter((f) => firedKeys.has(keyOf(f.rule.id, f.issue.issueId)));
}

/** One delivery per action of each firing, and the issue's "alert fired" activity. */
async function fire(tx: SqlTx, firings: Firing[]): Promise<string[]> {
  if (firings.length === 0) return [];
  const deliveries = firings.flatMap((f) => f.rule.actions.map((action) => ({ firing: f, action })));
  const rows =
    deliveries.length === 0
      ? []
      : await tx.rows<{ id: string }>`
          insert into alert_deliveries (rule_id, issue_id, event_id, action)
          select * from unnest(${deliveries.map((d) => d.firing.rule.id)}::int[], ${deliveries.map((d) => d.firing.issue.issueId)}::int[],
                               ${deliveries.map((d) => d.firing.event.event.eventId)}::text[],
                               ${deliveries.map((d) => JSON.stringify(d.action))}::jsonb[])
          returning id`;
  await recordAlertFired(tx, firings.map((f) => ({ issueId: f.issue.issueId, rule: f.rule })));
  // bigint ids arrive from pg as strings
  return rows.map((r) => String(r.id));
}

/** The "alert X sent to ..." activity on each firing's issue (event and feedback firings alike). */
export async function recordAlertFired(
  tx: SqlTx,
  firings: { issueId: number; rule: Pick<AlertRuleSpec, "id" | "name" | "actions"> }[],
): Promise<void> {
  if (firings.length === 0) return;
  await tx.run`
    insert into issue_activities (issue_id, type, data)
    select i, 'alert_fired', d
    from unnest(${firings.map((f) => f.issueId)}::int[],
                ${firings.map((f) => JSON.stringify({ ruleId: f.rule.id, ruleName: f.rule.name, targets: f.rule.actions.map(describeActionTarget) }))}::jsonb[])
         as x(i, d)`;
}
