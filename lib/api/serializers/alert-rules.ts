import type { AlertRuleView } from "../../alerts/rules";
import { actionName, conditionName, filterName } from "../../alerts/words";

/**
 * Sentry's issue alert rule JSON. Each condition, filter and action carries a `name` in words,
 * as Sentry's answer does. We keep no creator apart from the owner (who defaults to the
 * creator; the audit log says who created it), so `createdBy` is the owner.
 */
export function serializeAlertRule(rule: AlertRuleView, project: { slug: string }) {
  const owner = rule.owner ? { id: rule.owner.id, name: rule.owner.name || rule.owner.email, email: rule.owner.email } : null;
  return {
    id: String(rule.id),
    name: rule.name,
    actionMatch: rule.actionMatch,
    filterMatch: rule.filterMatch,
    frequency: rule.frequency,
    environment: rule.environment,
    conditions: rule.conditions.map((c) => ({ ...c, name: conditionName(c) })),
    filters: rule.filters.map((f) => ({ ...f, name: filterName(f) })),
    actions: rule.actions.map((a) => ({ ...a, name: actionName(a) })),
    dateCreated: rule.createdAt.toISOString(),
    owner: rule.owner ? `user:${rule.owner.id}` : null,
    createdBy: owner,
    projects: [project.slug],
    status: "active",
  };
}
