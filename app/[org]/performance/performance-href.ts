// The performance pages' URLs. Transaction names are free text (`GET /api/users/:id`), so they
// travel as query parameters, percent-encoded; ids are path segments.

export type GroupRef = { projectSlug: string; transaction: string; op: string; method: string };

/** A transaction group's summary page; op and method go along even when empty (they tell groups apart). */
export function summaryHref(org: string, group: GroupRef, extra: Record<string, string | null | undefined> = {}): string {
  const params = new URLSearchParams({ project: group.projectSlug, transaction: group.transaction, op: group.op, method: group.method });
  for (const [key, value] of Object.entries(extra)) if (value) params.set(key, value);
  return `/${org}/performance/summary?${params}`;
}

/** One transaction's span waterfall. */
export const transactionHref = (org: string, projectSlug: string, eventId: string) =>
  `/${org}/performance/transaction/${encodeURIComponent(projectSlug)}/${encodeURIComponent(eventId)}`;

/** The trace view: every transaction and error of the org sharing a trace id (32 hex, as SDKs write it). */
export const traceHref = (org: string, traceId: string) =>
  `/${org}/performance/trace/${encodeURIComponent(traceId.replaceAll("-", "").toLowerCase())}`;

/** The issues whose errors carry this transaction name (the `transaction` tag every SDK error has), in its project. */
export function transactionIssuesHref(org: string, projectId: string | number, transaction: string): string {
  const quoted = `"${transaction.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  return `/${org}/issues?${new URLSearchParams({ query: `transaction:${quoted}`, project: String(projectId) })}`;
}
