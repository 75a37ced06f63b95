import Link from "next/link";
import { can } from "@/lib/auth/permissions";
import type { Viewer } from "@/lib/auth/viewer";
import { transactionForSpan } from "@/lib/performance/transaction-event";
import { traceHref, transactionHref } from "../../performance/performance-href";
import { BUTTON } from "../operation-button";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : null);

/**
 * "Trace" and "Transaction" for an error event that carries a trace context (every SDK with
 * tracing on sets contexts.trace): the trace view, and the transaction the error happened in
 * (the one holding its span, else the trace's transaction of its name) when one is stored.
 */
export async function EventTraceLinks({ viewer, org, event }: { viewer: Viewer; org: string; event: { contexts: Json; location: string | null } }) {
  const trace = isObject(event.contexts.trace) ? event.contexts.trace : null;
  const traceId = text(trace?.trace_id);
  if (!traceId || !/^[0-9a-f]{32}$/i.test(traceId.replaceAll("-", "")) || !can(viewer.role, "performance:read")) return null;
  const transaction = await transactionForSpan(viewer, traceId, text(trace?.span_id), event.location);
  return (
    <nav className="flex flex-wrap gap-2 text-sm" aria-label="Tracing" data-testid="event-trace-links">
      <Link href={traceHref(org, traceId)} className={BUTTON}>
        Trace
      </Link>
      {transaction ? (
        <Link href={transactionHref(org, transaction.projectSlug, transaction.eventId)} className={BUTTON}>
          Transaction
        </Link>
      ) : null}
    </nav>
  );
}
