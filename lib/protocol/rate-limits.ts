import type { DataCategory } from "../usage/outcome-values";

/** One rate limit as SDKs read it from `X-Sentry-Rate-Limits`. */
export type RateLimit = {
  retryAfterSeconds: number;
  /** data categories; empty means all */
  categories: string[];
  scope: "key" | "project" | "organization";
  reason: string;
};

/** `<seconds>:<cat;cat>:<scope>:<reason>`, comma-separated, as Relay sends it. */
export function formatRateLimits(limits: RateLimit[]): string {
  return limits
    .map((l) => `${Math.max(1, Math.ceil(l.retryAfterSeconds))}:${l.categories.join(";")}:${l.scope}:${l.reason}`)
    .join(", ");
}

/**
 * Data category of an envelope item type, as used in rate limits and outcomes: one of a fixed
 * list, "unknown" for any type this install does not take (never the type itself).
 */
export function categoryOf(itemType: string): DataCategory {
  switch (itemType) {
    case "event":
      return "error";
    case "security":
      return "security";
    case "transaction":
      return "transaction";
    case "session":
    case "sessions":
      return "session";
    case "attachment":
      return "attachment";
    case "client_report":
      return "internal";
    case "check_in":
      return "monitor";
    case "feedback":
      return "feedback";
    case "user_report":
      return "user_report";
    case "span":
      return "span";
    default:
      return "unknown";
  }
}

/**
 * The categories a rate limit names for a refused item of `category`. What counts against the
 * transaction quota is named for streamed spans too, as Relay names them (`transaction;span`):
 * SDK 11 sends `span` items by default, and an SDK backs off only the categories named.
 */
export function limitedCategories(category: DataCategory): DataCategory[] {
  return category === "transaction" ? ["transaction", "span"] : [category];
}
