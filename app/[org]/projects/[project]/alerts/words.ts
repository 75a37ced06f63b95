// The form's own words (lib/alerts/words.ts has the rule parts'): shared by server pages and
// the client form.

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

// Shorter than Sentry's "greater than or equal to", for the level filter's select.
export const LEVEL_MATCH_WORDS = { eq: "equal to", gte: "at least", lte: "at most" } as const;
