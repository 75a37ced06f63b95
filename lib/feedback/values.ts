// Values of user feedback, checked the same way wherever feedback comes in.

/** Sentry's limit on a feedback message (`comments` of a user report). */
export const MAX_COMMENTS = 4096;

/** A 32-hex event id (dashed or not, any case) in the stored form, or null for anything else. */
export function eventIdOf(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 36) return null;
  const id = value.replace(/-/g, "").toLowerCase();
  return /^[0-9a-f]{32}$/.test(id) ? id : null;
}
