import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { isFailedStatus } from "@/lib/performance/sketch";
import { traceForViewer } from "@/lib/performance/trace";
import { transactionEvent } from "@/lib/performance/transaction-event";
import { transactionView } from "@/lib/performance/transaction-view";
import { traceLayout, waterfallLayout } from "@/lib/performance/waterfall-layout";
import { requireViewer } from "../../../../../(auth)/session";
import { TimeAgo } from "../../../../../_components/issue-bits";
import { releaseHref } from "../../../../releases/release-href";
import { TraceErrors } from "../../../trace-errors";
import { Figure } from "../../../figure";
import { ms, statusText } from "../../../format";
import { traceHref } from "../../../performance-href";
import type { CalledTransaction } from "../../../span-rows";
import { Waterfall } from "../../../waterfall";

export const metadata: Metadata = { title: "Transaction" };
export const dynamic = "force-dynamic";

type Props = { params: Promise<{ org: string; project: string; eventId: string }> };

/** One transaction: its figures, its span waterfall, and the errors of its trace. */
export default async function TransactionPage({ params }: Props) {
  const { org, project, eventId } = await params;
  const viewer = await requireViewer(org);
  // Next hands over path segments decoded; a foreign or unknown id is simply not found.
  const event = await transactionEvent(viewer, project, eventId);
  if (!event) notFound();
  const view = transactionView(event);
  const trace = view.traceId ? await traceForViewer(viewer, view.traceId) : null;
  const errors = trace?.errors ?? [];
  const layout = waterfallLayout(view, view.spans);
  // Errors that happened in this transaction: in its own span or one of its spans.
  const ownSpans = new Set([view.spanId, ...view.spans.map((s) => s.span_id)]);
  const here = errors.filter((e) => e.spanId !== null && ownSpans.has(e.spanId));
  // The trace's transactions this one started (their parent span is one of its spans).
  const calls = new Map<string, CalledTransaction[]>();
  for (const { transaction: t } of trace ? traceLayout(trace).rows : []) {
    if (!t.parentSpanId || t.eventID === view.eventId || !ownSpans.has(t.parentSpanId)) continue;
    const called = { projectSlug: t.project.slug, eventId: t.eventID, name: t.transaction, op: t.op };
    calls.set(t.parentSpanId, [...(calls.get(t.parentSpanId) ?? []), called]);
  }
  const listHref = `/${org}/performance?${new URLSearchParams({ query: view.name, ...(view.projectId ? { project: view.projectId } : {}) })}`;

  return (
    <main className="mx-auto max-w-7xl space-y-6 p-4 sm:p-6">
      <header className="space-y-1">
        <div className="text-sm text-slate-500">
          <Link href={listHref} className="text-indigo-700 underline">
            Performance
          </Link>{" "}
          / {project} / <span className="font-mono">{view.eventId.slice(0, 12)}</span>
        </div>
        <h1 className="break-all font-mono text-2xl font-semibold" data-testid="transaction-name">
          {view.name}
        </h1>
        <p className="flex flex-wrap gap-x-3 text-sm text-slate-600">
          <span>{view.op || "no op"}</span>
          {view.timestamp > 0 ? <TimeAgo date={new Date(view.timestamp * 1000)} /> : null}
          {view.release ? (
            <span>
              release{" "}
              <Link href={releaseHref(org, view.release)} className="font-mono text-indigo-700 hover:underline">
                {view.release}
              </Link>
            </span>
          ) : null}
          {view.environment ? <span>environment {view.environment}</span> : null}
        </p>
        <nav className="flex flex-wrap gap-3 text-sm" aria-label="Related">
          {view.traceId ? (
            <Link href={traceHref(org, view.traceId)} className="text-indigo-700 hover:underline" data-testid="trace-link">
              Trace {view.traceId.slice(0, 8)}: every transaction and error of it
            </Link>
          ) : (
            <span className="text-slate-500">no trace id</span>
          )}
        </nav>
      </header>

      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4" aria-label="Figures">
        <Figure label="Duration" testId="transaction-duration">
          {ms(layout.root.durationMs)}
        </Figure>
        <Figure label="Status">
          <span className={isFailedStatus(view.status) ? "text-red-700" : ""}>{statusText(view.status)}</span>
        </Figure>
        <Figure label="Spans">{view.spans.length.toLocaleString("en")}</Figure>
        <Figure label="Errors in it">{here.length}</Figure>
      </dl>

      <Waterfall org={org} view={view} layout={layout} errors={here} calls={calls} />

      <TraceErrors org={org} errors={errors} title="Errors of this trace" />

      {view.tags.length > 0 ? (
        <section className="space-y-2">
          <h2 className="text-lg font-medium">Tags</h2>
          <ul className="flex flex-wrap gap-1 text-xs">
            {view.tags.map((t) => (
              <li key={t.key} className="rounded bg-slate-100 px-1.5 py-0.5">
                {t.key}: {t.value}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </main>
  );
}
