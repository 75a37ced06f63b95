// Reading values out of SDK items: each is hostile input, so every reader bounds and types.

export type ItemProject = { id: number; orgId: number };

export const str = (v: unknown, max = 200): string | null =>
  typeof v === "string" && v !== "" ? v.slice(0, max) : null;
// Counts go to int and bigint columns: a fraction, a negative or 1e30 once failed the batch.
const MAX_COUNT = 1_000_000;
/** A count an SDK sent, as a whole number in [0, MAX_COUNT]; anything else is 0. */
export const num = (v: unknown): number =>
  typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.min(Math.floor(v), MAX_COUNT) : 0;
export const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Epoch milliseconds of an SDK timestamp (RFC 3339 string or epoch seconds). */
export function toMs(v: unknown): number | null {
  const ms = typeof v === "number" ? v * 1000 : typeof v === "string" ? Date.parse(v) : Number.NaN;
  // Outside years 1970-9999 it is no SDK's clock (and past JS's Date range, `1e15` seconds,
  // toISOString throws): the caller falls back to the receive time.
  return ms >= 0 && ms <= LATEST_MS ? ms : null;
}
const LATEST_MS = Date.UTC(9999, 11, 31);

export const hourOf = (ms: number) => new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString();
