import Link from "next/link";
import { can } from "@/lib/auth/permissions";
import type { Viewer } from "@/lib/auth/viewer";
import { hex32 } from "@/lib/performance/ids";
import { transactionHref } from "../../performance/performance-href";
import { BUTTON } from "../operation-button";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A performance issue's event (an N+1 query: contexts.performance_issue, written by the worker):
 * the repeated query, how many times and how long it ran, and a link to the waterfall of the
 * transaction it was found in (same project), for roles that may read performance data.
 */
export function PerformanceEvidence({
  viewer,
  org,
  projectSlug,
  event,
}: {
  viewer: Viewer;
  org: string;
  projectSlug: string;
  event: { message: string; contexts: Json };
}) {
  const evidence = event.contexts.performance_issue;
  if (!isObject(evidence)) return null;
  const transactionId = hex32(typeof evidence.transaction_event_id === "string" ? evidence.transaction_event_id : null);
  const repeats = typeof evidence.num_repeating_spans === "number" ? evidence.num_repeating_spans : null;
  const duration = typeof evidence.duration_ms === "number" ? evidence.duration_ms : null;
  return (
    <section className="space-y-2 rounded-lg border border-violet-200 bg-violet-50 p-3 text-sm" aria-label="Performance issue" data-testid="performance-evidence">
      <p>
        The same query ran {repeats ?? "several"} times, one after another under one parent span
        {duration !== null ? `, ${duration.toFixed(1)} ms together` : ""}:
      </p>
      <pre className="overflow-x-auto whitespace-pre-wrap break-all rounded bg-white p-2 font-mono text-xs">{event.message}</pre>
      {transactionId && can(viewer.role, "performance:read") ? (
        <Link href={transactionHref(org, projectSlug, transactionId)} className={`${BUTTON} inline-block`}>
          Spans of the transaction
        </Link>
      ) : null}
    </section>
  );
}
