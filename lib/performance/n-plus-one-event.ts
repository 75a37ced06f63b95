import { createHash } from "node:crypto";
import { GROUPING_VERSION, type Grouping } from "../events/grouping";
import { normalizeEvent } from "../events/normalize";
import type { PreparedTransaction } from "../events/prepare";
import type { NormalizedEvent } from "../events/types";
import { N_PLUS_ONE_ISSUE_TYPE } from "../issues/kind";
import { logger } from "../logger";
import type { NPlusOne } from "./n-plus-one";
import { isObject } from "./span-data";
import type { TransactionColumns } from "./transaction-document";

// An N+1 found in a stored transaction (n-plus-one.ts) becomes an event of an issue of its own
// kind, stored with the batch's error events as a monitor's failures are (lib/monitors/incidents.ts):
// alert rules, the issue pages and the API treat it as any issue.

export const N_PLUS_ONE_TITLE = "N+1 Query";
/** The repeated spans' ids the event names; a loop of 1,000 is counted, not listed. */
const MAX_SPAN_IDS = 100;

/** An event for preparedEventOf, with its grouping and issue type. */
export type PerformanceIssue = { event: NormalizedEvent; grouping: Grouping; issueType: string };

/**
 * The events of the N+1 queries prepareTransaction found in a transaction, built from its
 * stored document: they carry its release, environment, user, request, tags and contexts.
 * Nothing when it has none. A failure here is logged and the events left out: the
 * transaction is stored all the same.
 */
export function performanceIssues(transaction: PreparedTransaction): PerformanceIssue[] {
  const found = transaction.nPlusOne;
  if (!found || found.length === 0) return [];
  try {
    const doc = JSON.parse(transaction.payloadJson.toString("utf8")) as Record<string, unknown>;
    return found.map((problem) => nPlusOneIssue(transaction.columns, doc, problem));
  } catch (error) {
    logger.error({ err: error, eventId: transaction.columns.eventId }, "N+1 query events not made");
    return [];
  }
}

/**
 * One N+1 as a warning event. Its id comes from the transaction's and the query's, so a
 * transaction stored twice (an SDK's resend, a batch retried) makes it once; its grouping hash
 * from the transaction name and the query shape, an input no SDK's grouping hashes (JSON
 * arrays) can have, so every transaction of that name repeating that query lands in one issue.
 * contexts.trace names the repeated spans' parent, which places the event on the waterfall.
 */
function nPlusOneIssue(columns: TransactionColumns, doc: Record<string, unknown>, problem: NPlusOne): PerformanceIssue {
  const eventId = createHash("sha256")
    .update(`${N_PLUS_ONE_ISSUE_TYPE}\n${columns.eventId}\n${problem.shape}`)
    .digest("hex")
    .slice(0, 32);
  const contexts = isObject(doc.contexts) ? doc.contexts : {};
  const raw = {
    event_id: eventId,
    timestamp: columns.timestamp.getTime() / 1000,
    level: "warning",
    platform: doc.platform,
    message: problem.description,
    transaction: columns.name,
    release: columns.release ?? undefined,
    environment: columns.environment ?? undefined,
    dist: doc.dist,
    server_name: doc.server_name,
    user: doc.user,
    request: doc.request,
    sdk: doc.sdk,
    tags: [...(Array.isArray(doc.tags) ? doc.tags : []), ["op", columns.op]],
    contexts: {
      ...contexts,
      trace: { ...(columns.traceId ? { trace_id: columns.traceId } : {}), span_id: problem.parentSpanId },
      performance_issue: {
        issue_type: N_PLUS_ONE_ISSUE_TYPE,
        transaction_event_id: columns.eventId,
        op: problem.op,
        query: problem.shape,
        parent_span_id: problem.parentSpanId,
        num_repeating_spans: problem.spanIds.length,
        offender_span_ids: problem.spanIds.slice(0, MAX_SPAN_IDS),
        duration_ms: Math.round(problem.durationMs * 1000) / 1000,
      },
    },
  };
  const received = typeof doc.received === "string" ? new Date(doc.received) : columns.timestamp;
  // What it copies was scrubbed as the transaction was stored.
  const event = normalizeEvent(raw, {
    eventId,
    receivedAt: Number.isNaN(received.getTime()) ? columns.timestamp : received,
    scrub: false,
    itemType: "event",
  });
  const hash = createHash("md5")
    .update(`${N_PLUS_ONE_ISSUE_TYPE}:${JSON.stringify([columns.name, problem.shape])}`)
    .digest("hex");
  return {
    event,
    grouping: {
      hashes: [hash],
      title: N_PLUS_ONE_TITLE,
      culprit: columns.name,
      metadata: { title: N_PLUS_ONE_TITLE, value: problem.description },
      groupingVersion: GROUPING_VERSION,
    },
    issueType: N_PLUS_ONE_ISSUE_TYPE,
  };
}
