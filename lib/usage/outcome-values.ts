// The fixed vocabularies of usage counting. Ingest's counters, the flush into outcome_counts,
// the worker's own outcome rows and stats_v2 all take categories, outcomes and reasons from
// these lists only: nothing an SDK sends becomes a category or reason verbatim, so no input can
// mint a counter (or a `|` inside one) of its own.

/** Sentry's data categories (Relay's DataCategory) this install counts; attachments in bytes. */
export const DATA_CATEGORIES = [
  "error",
  "security",
  "transaction",
  // spans inside transactions: what SDKs' client reports and the worker's span limits count
  "span",
  "session",
  "attachment",
  "monitor",
  "feedback",
  "user_report",
  "profile",
  "replay",
  "default",
  "internal",
  "unknown",
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

export const OUTCOMES = ["accepted", "filtered", "rate_limited", "invalid", "client_discard"] as const;
export type OutcomeName = (typeof OUTCOMES)[number];

/**
 * Why an item was not accepted. Inbound filters (lib/ingest/filters.ts), ingest's limits, the
 * worker's validation and Sentry's client report reasons; "" for accepted items.
 */
export const OUTCOME_REASONS = [
  "",
  // inbound filters
  "browser-extensions",
  "localhost",
  "web-crawlers",
  "error-message",
  "release-version",
  "unsupported_item_type",
  // ingest limits
  "key_quota",
  "usage_exceeded",
  "smart_rate_limit",
  "backlog_full",
  // requests refused whole (lib/ingest/handler.ts)
  "too_large",
  "invalid_data",
  // worker
  "processing_error",
  "invalid",
  // transactions and their spans the worker drops (lib/performance/transaction-document.ts)
  "invalid_transaction",
  "invalid_span",
  "too_many_spans",
  // streamed spans whose segment never came (lib/performance/pending-spans.ts)
  "missing_segment",
  // cron check-ins the worker drops (lib/monitors/store-check-ins.ts)
  "invalid_check_in",
  "invalid_monitor_config",
  "monitor_not_found",
  "monitor_disabled",
  "check_in_finished",
  "monitor_limit",
  "monitor_environment_limit",
  // client reports (discarded_events), as the SDKs name them
  "queue_overflow",
  "cache_overflow",
  "buffer_overflow",
  "ratelimit_backoff",
  "network_error",
  "sample_rate",
  "before_send",
  "event_processor",
  "send_error",
  "internal_sdk_error",
  "insufficient_data",
  "backpressure",
  "other",
] as const;
export type OutcomeReason = (typeof OUTCOME_REASONS)[number];

const categories: ReadonlySet<string> = new Set(DATA_CATEGORIES);
const outcomes: ReadonlySet<string> = new Set(OUTCOMES);
const reasons: ReadonlySet<string> = new Set(OUTCOME_REASONS);

export const isDataCategory = (value: string): value is DataCategory => categories.has(value);
export const isOutcome = (value: string): value is OutcomeName => outcomes.has(value);
export const isOutcomeReason = (value: string): value is OutcomeReason => reasons.has(value);

/** A category from outside (a client report): kept when known, else "unknown". */
export const toDataCategory = (value: string): DataCategory => (isDataCategory(value) ? value : "unknown");
/** A reason from outside (a client report): kept when known, else "other". */
export const toOutcomeReason = (value: string): OutcomeReason => (isOutcomeReason(value) ? value : "other");
