// What kind of issue an issues.type is, in Sentry's API names (issueType, issueCategory) and as
// the issue pages label it. Errors, messages and CSP reports are the default kind, unlabelled.

/** Sentry's issue type of N+1 queries (lib/performance/n-plus-one-event.ts makes them). */
export const N_PLUS_ONE_ISSUE_TYPE = "performance_n_plus_one_db_queries";

export type IssueKind = { issueType: string; issueCategory: string; label: string | null };

const KINDS: Record<string, IssueKind> = {
  monitor: { issueType: "monitor_check_in_failure", issueCategory: "cron", label: "Cron monitor" },
  [N_PLUS_ONE_ISSUE_TYPE]: { issueType: N_PLUS_ONE_ISSUE_TYPE, issueCategory: "performance", label: "Performance" },
};

export function issueKind(type: string): IssueKind {
  return KINDS[type] ?? { issueType: type === "csp" ? "csp" : "error", issueCategory: "error", label: null };
}
