import { ACTION_IDS, type Action, CONDITION_IDS, type Condition, FILTER_IDS, type Filter, type FrequencyInterval } from "./catalog";
import { describeActionTarget } from "./describe";

// The parts of a rule in words, as Sentry names them in its rule JSON: the REST API's `name` of
// each condition, filter and action, and what the rule pages show. No server imports: the
// rule form (a client component) uses these too.

export const INTERVAL_WORDS: Record<FrequencyInterval, string> = {
  "1m": "one minute",
  "5m": "5 minutes",
  "15m": "15 minutes",
  "1h": "one hour",
  "1d": "one day",
  "1w": "one week",
  "30d": "30 days",
};

export function conditionName(c: Condition): string {
  switch (c.id) {
    case CONDITION_IDS.firstSeen:
      return "A new issue is created";
    case CONDITION_IDS.regression:
      return "The issue changes state from resolved to unresolved";
    case CONDITION_IDS.reappeared:
      return "The issue changes state from ignored to unresolved";
    case CONDITION_IDS.everyEvent:
      return "The event occurs";
    case CONDITION_IDS.eventFrequency:
      return `The issue is seen more than ${c.value} times in ${INTERVAL_WORDS[c.interval]}`;
    case CONDITION_IDS.uniqueUserFrequency:
      return `The issue is seen by more than ${c.value} users in ${INTERVAL_WORDS[c.interval]}`;
    case CONDITION_IDS.newFeedback:
      return "A user sends feedback";
  }
}

export const TAG_MATCH_WORDS = {
  eq: "equals",
  ne: "does not equal",
  sw: "starts with",
  ew: "ends with",
  co: "contains",
  nc: "does not contain",
  is: "is set",
  ns: "is not set",
} as const;
const LEVEL_MATCH_WORDS = { eq: "equal to", gte: "greater than or equal to", lte: "less than or equal to" } as const;

export function filterName(f: Filter): string {
  switch (f.id) {
    case FILTER_IDS.tagged:
      return `The event's tags match ${f.key} ${TAG_MATCH_WORDS[f.match]}${f.value === undefined ? "" : ` ${f.value}`}`;
    case FILTER_IDS.level:
      return `The event's level is ${LEVEL_MATCH_WORDS[f.match]} ${f.level}`;
    case FILTER_IDS.age:
      return `The issue is ${f.comparison_type} than ${f.value} ${f.time}${f.value === 1 ? "" : "s"}`;
    case FILTER_IDS.occurrences:
      return `The issue has happened at least ${f.value} times`;
    case FILTER_IDS.latestRelease:
      return "The event is from the latest release";
  }
}

export function actionName(a: Action): string {
  if (a.id === ACTION_IDS.email) {
    if (a.targetType === "Member") return `Send a notification to member #${a.targetIdentifier}`;
    return `Send a notification to IssueOwners and if none can be found then send a notification to ${a.fallthroughType ?? "ActiveMembers"}`;
  }
  return `Send a notification via ${describeActionTarget(a)}`;
}
