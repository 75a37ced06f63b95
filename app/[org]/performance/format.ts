import { formatDuration } from "../crons/monitor-bits";

// How the performance pages write their figures.

/** A duration in ms: two decimals below 1 ms (spans often are), one below 10 ms, else as the crons pages write it. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (value === 0) return "0 ms";
  // Bounds below the rounding points, so 0.999 reads "1.0 ms", not "1.00 ms".
  if (value < 0.995) return `${value.toFixed(2)} ms`;
  if (value < 9.95) return `${value.toFixed(1)} ms`;
  return formatDuration(value);
}

/** A failure rate: one decimal, "0%" only when nothing failed. */
export function failurePercent(rate: number): string {
  if (rate === 0) return "0%";
  const value = rate * 100;
  return value < 0.1 ? "<0.1%" : `${value.toFixed(1)}%`;
}

/** Apdex 0..1 with two decimals, as Sentry shows it; "—" with no transactions. */
export const apdexText = (apdex: number | null) => (apdex === null ? "—" : apdex.toFixed(2));

/** Transactions per minute: small rates keep their decimals. */
export function perMinute(throughput: number): string {
  if (throughput === 0) return "0";
  if (throughput < 0.01) return "<0.01";
  return throughput < 10 ? throughput.toFixed(2) : Math.round(throughput).toLocaleString("en");
}

/** A status as SDKs send it ("internal_error"), readable. */
export const statusText = (status: string) => (status === "" ? "unknown" : status.replaceAll("_", " "));

