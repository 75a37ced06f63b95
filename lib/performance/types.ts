// The shapes the performance API serves and the dashboard draws (durations in ms).

/** One row of GET /api/0/organizations/{org}/transaction-groups/ (the contract of issue #22). */
export type TransactionGroupSummary = {
  transaction: string;
  op: string;
  method: string;
  project: { id: string; slug: string };
  count: number;
  /** transactions per minute over the period */
  throughput: number;
  avgDuration: number | null;
  p50: number | null;
  p75: number | null;
  p95: number | null;
  p99: number | null;
  /** share of transactions whose status is not ok, cancelled or unknown (0..1) */
  failureRate: number;
  /** 0..1 for the project's Apdex threshold; null with no transactions */
  apdex: number | null;
  /** error events whose `transaction` is this name, same project and period */
  errorCount: number;
};

export type TransactionGroupSort = "-p95" | "-count" | "-throughput" | "-failureRate";

/** One row of GET /api/0/organizations/{org}/transactions/. */
export type TransactionSample = {
  eventID: string;
  transaction: string;
  duration: number;
  /** ISO 8601 */
  timestamp: string;
  traceId: string | null;
  status: string;
};

/** A span as stored in a transaction's document and served in its `spans` entry. */
export type StoredSpan = {
  span_id: string;
  parent_span_id?: string;
  trace_id?: string;
  op?: string;
  description?: string;
  /** epoch seconds, as SDKs send them */
  start_timestamp: number;
  timestamp: number;
  status?: string;
  tags?: Record<string, string>;
  data?: Record<string, unknown>;
};

/** GET /api/0/organizations/{org}/events-trace/{trace_id}/ */
export type TraceTransaction = {
  eventID: string;
  project: { id: string; slug: string };
  transaction: string;
  op: string;
  /** epoch seconds */
  startTimestamp: number;
  timestamp: number;
  duration: number;
  status: string;
  spanId: string;
  parentSpanId: string | null;
  spans: StoredSpan[];
  children: TraceTransaction[];
};
export type TraceError = {
  eventID: string;
  issueId: string;
  title: string;
  project: { id: string; slug: string };
  /** ISO 8601 */
  timestamp: string;
  /** the span the error happened in (its contexts.trace.span_id), when it says */
  spanId: string | null;
};
/** errors: error events; performanceIssues: the events of performance issues (N+1 queries) in it */
export type Trace = { transactions: TraceTransaction[]; errors: TraceError[]; performanceIssues: TraceError[] };
