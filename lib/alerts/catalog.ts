// The parts of an issue alert rule, by Sentry's ids (see ../shared/notes/sentry-protocols.md,
// "Alerts"): what the REST API accepts, the settings page offers and the worker evaluates.

export const CONDITION_IDS = {
  firstSeen: "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition",
  regression: "sentry.rules.conditions.regression_event.RegressionEventCondition",
  reappeared: "sentry.rules.conditions.reappeared_event.ReappearedEventCondition",
  everyEvent: "sentry.rules.conditions.every_event.EveryEventCondition",
  eventFrequency: "sentry.rules.conditions.event_frequency.EventFrequencyCondition",
  uniqueUserFrequency: "sentry.rules.conditions.event_frequency.EventUniqueUserFrequencyCondition",
  // Ours (Sentry has no such rule condition: its feedback makes issues of their own). Holds for
  // a newly stored user feedback (a `feedback` or `user_report` item, or the user-feedback
  // endpoint), never for an error event: see evaluate-feedback.ts.
  newFeedback: "errorhub.rules.conditions.new_feedback",
} as const;

export const FILTER_IDS = {
  tagged: "sentry.rules.filters.tagged_event.TaggedEventFilter",
  level: "sentry.rules.filters.level.LevelFilter",
  age: "sentry.rules.filters.age_comparison.AgeComparisonFilter",
  occurrences: "sentry.rules.filters.issue_occurrences.IssueOccurrencesFilter",
  latestRelease: "sentry.rules.filters.latest_release.LatestReleaseFilter",
} as const;

export const ACTION_IDS = {
  email: "sentry.mail.actions.NotifyEmailAction",
  webhook: "errorhub.actions.webhook",
  slack: "errorhub.actions.slack",
  discord: "errorhub.actions.discord",
} as const;

export const FREQUENCY_INTERVALS = ["1m", "5m", "15m", "1h", "1d", "1w", "30d"] as const;
export type FrequencyInterval = (typeof FREQUENCY_INTERVALS)[number];
export const INTERVAL_MINUTES: Record<FrequencyInterval, number> = {
  "1m": 1,
  "5m": 5,
  "15m": 15,
  "1h": 60,
  "1d": 1440,
  "1w": 10080,
  "30d": 43200,
};

export const MATCHES = ["all", "any", "none"] as const;
export type Match = (typeof MATCHES)[number];

export type Condition =
  | {
      id:
        | typeof CONDITION_IDS.firstSeen
        | typeof CONDITION_IDS.regression
        | typeof CONDITION_IDS.reappeared
        | typeof CONDITION_IDS.everyEvent
        | typeof CONDITION_IDS.newFeedback;
    }
  | { id: typeof CONDITION_IDS.eventFrequency | typeof CONDITION_IDS.uniqueUserFrequency; interval: FrequencyInterval; value: number };

export type TagMatch = "eq" | "ne" | "sw" | "ew" | "co" | "nc" | "is" | "ns";
export type Filter =
  | { id: typeof FILTER_IDS.tagged; key: string; match: TagMatch; value?: string }
  | { id: typeof FILTER_IDS.level; match: "eq" | "gte" | "lte"; level: string }
  // Sentry's: the issue is older|newer than value time units (minute, hour, day, week)
  | { id: typeof FILTER_IDS.age; comparison_type: "older" | "newer"; value: number; time: "minute" | "hour" | "day" | "week" }
  | { id: typeof FILTER_IDS.occurrences; value: number }
  | { id: typeof FILTER_IDS.latestRelease };

export type EmailTargetType = "IssueOwners" | "Member";
export type EmailFallthrough = "AllMembers" | "ActiveMembers" | "NoOne";
export type Action =
  | { id: typeof ACTION_IDS.email; targetType: EmailTargetType; targetIdentifier?: string | number | null; fallthroughType?: EmailFallthrough }
  | { id: typeof ACTION_IDS.webhook; url: string }
  | { id: typeof ACTION_IDS.slack; webhookUrl: string }
  | { id: typeof ACTION_IDS.discord; webhookUrl: string };

/** A rule as the worker evaluates it (already validated when it was saved). */
export type AlertRuleSpec = {
  id: number;
  projectId: number;
  name: string;
  actionMatch: Match;
  filterMatch: Match;
  frequency: number;
  environment: string | null;
  conditions: Condition[];
  filters: Filter[];
  actions: Action[];
};
