import { type SketchEntries, entriesApdex, entriesQuantiles } from "./sketch";
import type { StatsPeriod } from "./summary-period";
import { type GroupMeta, errorKey } from "./summary-rows";
import type { TransactionGroupSummary } from "./types";

// One row of the transactions list from a group's merged figures: what the list and one
// group's page both answer.

export type SummaryProject = { id: number; slug: string; apdexThresholdMs: number };

const QUANTILES = [0.5, 0.75, 0.95, 0.99] as const;

/** Throughput per minute of the period's covered minutes; percentiles and Apdex from the sketch. */
export function summarize(
  meta: GroupMeta,
  m: { count: number; failures: number; durationSum: number },
  sketch: SketchEntries,
  project: SummaryProject,
  period: StatsPeriod,
  errors: Map<string, number>,
): TransactionGroupSummary {
  const [p50, p75, p95, p99] = entriesQuantiles(sketch, QUANTILES);
  return {
    transaction: meta.name,
    op: meta.op,
    method: meta.method,
    project: { id: String(project.id), slug: project.slug },
    count: m.count,
    throughput: m.count / period.minutes,
    avgDuration: m.count > 0 ? m.durationSum / m.count : null,
    p50: p50 ?? null,
    p75: p75 ?? null,
    p95: p95 ?? null,
    p99: p99 ?? null,
    failureRate: m.count > 0 ? m.failures / m.count : 0,
    apdex: entriesApdex(sketch, project.apdexThresholdMs),
    errorCount: errors.get(errorKey(meta.projectId, meta.name)) ?? 0,
  };
}
