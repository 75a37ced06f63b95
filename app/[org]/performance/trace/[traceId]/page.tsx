import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { traceForViewer } from "@/lib/performance/trace";
import { traceLayout } from "@/lib/performance/waterfall-layout";
import { requireViewer } from "../../../../(auth)/session";
import { Figure } from "../../figure";
import { ms } from "../../format";
import { TraceErrors } from "../../trace-errors";
import { TraceTree } from "../../trace-tree";

export const metadata: Metadata = { title: "Trace" };
export const dynamic = "force-dynamic";

type Props = { params: Promise<{ org: string; traceId: string }> };

/** One trace across the org's projects: its transactions as a tree on one time axis, and its errors. */
export default async function TracePage({ params }: Props) {
  const { org, traceId } = await params;
  const viewer = await requireViewer(org);
  // Not a trace id, or nothing of it in this org (another org's trace included): not found.
  const trace = await traceForViewer(viewer, traceId);
  if (!trace) notFound();
  const layout = traceLayout(trace);
  const projects = new Set([...layout.rows.map((r) => r.transaction.project.slug), ...trace.errors.map((e) => e.project.slug)]);

  return (
    <main className="mx-auto max-w-7xl space-y-6 p-4 sm:p-6">
      <header className="space-y-1">
        <div className="text-sm text-slate-500">
          <Link href={`/${org}/performance`} className="text-indigo-700 underline">
            Performance
          </Link>{" "}
          / trace
        </div>
        <h1 className="break-all text-2xl font-semibold">
          Trace <code className="text-xl" data-testid="trace-id">{traceId.replaceAll("-", "").toLowerCase()}</code>
        </h1>
      </header>

      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4" aria-label="Figures">
        <Figure label="Transactions" testId="trace-transactions">
          {layout.rows.length}
        </Figure>
        <Figure label="Projects">{[...projects].sort().join(", ")}</Figure>
        <Figure label="Errors" testId="trace-error-count">
          {trace.errors.length}
        </Figure>
        <Figure label="Duration">{ms(layout.totalMs)}</Figure>
      </dl>

      {layout.rows.length > 0 ? (
        <TraceTree org={org} rows={layout.rows} totalMs={layout.totalMs} />
      ) : (
        <p className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-slate-600">
          No transaction of this trace is stored (tracing may be sampled out), only its errors.
        </p>
      )}

      <TraceErrors org={org} errors={trace.errors} title="Errors" />
      {trace.performanceIssues.length > 0 ? <TraceErrors org={org} errors={trace.performanceIssues} title="Performance issues" /> : null}
    </main>
  );
}
