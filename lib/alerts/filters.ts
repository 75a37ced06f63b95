import type { SqlTx } from "../db";
import type { EventColumns } from "../events/prepare";
import type { IssueFacts } from "../events/store-errors";
import { FILTER_IDS, type Filter, type Match, type TagMatch } from "./catalog";

/** What filters need beyond the event and its issue, looked up once per batch. */
export type FilterContext = { now: Date; latestRelease: string | null };

const SEVERITY: Record<string, number> = { debug: 0, info: 1, warning: 2, error: 3, fatal: 4 };
const TIME_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 } as const;

/** Whether an event of an issue passes a rule's filters; a rule without filters lets all pass. */
export function passesFilters(filters: Filter[], match: Match, event: EventColumns, issue: IssueFacts, context: FilterContext): boolean {
  if (filters.length === 0) return true;
  return combine(match, filters, (filter) => holds(filter, event, issue, context));
}

/** Sentry's actionMatch / filterMatch over a list of predicates. */
export function combine<T>(match: Match, items: T[], predicate: (item: T) => boolean): boolean {
  if (match === "any") return items.some(predicate);
  if (match === "none") return !items.some(predicate);
  return items.every(predicate);
}

function holds(filter: Filter, event: EventColumns, issue: IssueFacts, context: FilterContext): boolean {
  switch (filter.id) {
    case FILTER_IDS.tagged:
      return tagMatches(event.flatTags, filter.key, filter.match, filter.value ?? "");
    case FILTER_IDS.level: {
      const severity = SEVERITY[event.level] ?? SEVERITY.error!;
      const wanted = SEVERITY[filter.level] ?? SEVERITY.error!;
      if (filter.match === "gte") return severity >= wanted;
      if (filter.match === "lte") return severity <= wanted;
      return severity === wanted;
    }
    case FILTER_IDS.age: {
      const age = context.now.getTime() - issue.firstSeen.getTime();
      const limit = filter.value * TIME_MS[filter.time];
      return filter.comparison_type === "older" ? age > limit : age < limit;
    }
    case FILTER_IDS.occurrences:
      return issue.timesSeen >= filter.value;
    case FILTER_IDS.latestRelease:
      return context.latestRelease !== null && event.release === context.latestRelease;
  }
}

/**
 * Sentry's tagged event filter over the event's tags (built-ins such as level, release, user
 * included), ignoring case as Sentry does.
 */
function tagMatches(flatTags: string[], rawKey: string, match: TagMatch, rawValue: string): boolean {
  const key = rawKey.toLowerCase();
  const value = rawValue.toLowerCase();
  const values: string[] = [];
  for (let i = 0; i < flatTags.length; i += 2)
    if (flatTags[i]!.toLowerCase() === key) values.push(flatTags[i + 1]!.toLowerCase());
  switch (match) {
    case "is":
      return values.length > 0;
    case "ns":
      return values.length === 0;
    // Negative matches hold when no value of the key matches (also when the key is absent), as in Sentry.
    case "ne":
      return !values.includes(value);
    case "nc":
      return !values.some((v) => v.includes(value));
    case "eq":
      return values.includes(value);
    case "sw":
      return values.some((v) => v.startsWith(value));
    case "ew":
      return values.some((v) => v.endsWith(value));
    case "co":
      return values.some((v) => v.includes(value));
  }
}

/**
 * The project's latest release: its newest release row (by when the org first had it, then
 * id). This batch's own new releases count, as they were inserted earlier in its transaction.
 */
export async function latestRelease(tx: SqlTx, projectId: number): Promise<string | null> {
  const [row] = await tx.rows<{ version: string }>`
    select r.version from release_projects rp join releases r on r.id = rp.release_id
    where rp.project_id = ${projectId}
    order by r.created_at desc, r.id desc limit 1`;
  return row?.version ?? null;
}
