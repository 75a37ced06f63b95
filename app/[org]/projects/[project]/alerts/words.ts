import { CONDITION_IDS, type Condition, FILTER_IDS, type Filter, type FrequencyInterval } from "@/lib/alerts/catalog";

// Rule parts in words, for the rule list and the form: shared by server pages and the client form.

export const INTERVAL_WORDS: Record<FrequencyInterval, string> = {
  "1m": "one minute",
  "5m": "5 minutes",
  "15m": "15 minutes",
  "1h": "one hour",
  "1d": "one day",
  "1w": "one week",
  "30d": "30 days",
};

// Sentry's choices for "act at most once per issue every", in minutes.
export const FREQUENCY_CHOICES: { minutes: number; label: string }[] = [
  { minutes: 5, label: "5 minutes" },
  { minutes: 10, label: "10 minutes" },
  { minutes: 30, label: "30 minutes" },
  { minutes: 60, label: "60 minutes" },
  { minutes: 180, label: "3 hours" },
  { minutes: 720, label: "12 hours" },
  { minutes: 1440, label: "24 hours" },
  { minutes: 10080, label: "one week" },
  { minutes: 43200, label: "30 days" },
];

export function frequencyWords(minutes: number): string {
  return FREQUENCY_CHOICES.find((c) => c.minutes === minutes)?.label ?? `${minutes} minutes`;
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

export const LEVEL_MATCH_WORDS = { eq: "equal to", gte: "at least", lte: "at most" } as const;

export function describeCondition(condition: Condition): string {
  switch (condition.id) {
    case CONDITION_IDS.firstSeen:
      return "a new issue is created";
    case CONDITION_IDS.regression:
      return "a resolved issue comes back (regression)";
    case CONDITION_IDS.reappeared:
      return "an ignored issue reappears";
    case CONDITION_IDS.everyEvent:
      return "an event is seen";
    case CONDITION_IDS.eventFrequency:
      return `an issue is seen more than ${condition.value} times in ${INTERVAL_WORDS[condition.interval]}`;
    case CONDITION_IDS.uniqueUserFrequency:
      return `an issue is seen by more than ${condition.value} users in ${INTERVAL_WORDS[condition.interval]}`;
  }
}

export function describeFilter(filter: Filter): string {
  switch (filter.id) {
    case FILTER_IDS.tagged:
      return filter.match === "is" || filter.match === "ns"
        ? `tag ${filter.key} ${TAG_MATCH_WORDS[filter.match]}`
        : `tag ${filter.key} ${TAG_MATCH_WORDS[filter.match]} ${filter.value ?? ""}`;
    case FILTER_IDS.level:
      return `level ${LEVEL_MATCH_WORDS[filter.match]} ${filter.level}`;
    case FILTER_IDS.age:
      return `the issue is ${filter.comparison_type} than ${filter.value} ${filter.time}${filter.value === 1 ? "" : "s"}`;
    case FILTER_IDS.occurrences:
      return `the issue has been seen at least ${filter.value} times`;
    case FILTER_IDS.latestRelease:
      return "the event is from the latest release";
  }
}
