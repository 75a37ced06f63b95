import Link from "next/link";
import { isFailedStatus } from "@/lib/performance/sketch";
import type { TransactionView } from "@/lib/performance/transaction-view";
import type { TraceError } from "@/lib/performance/types";
import type { SpanRow, Waterfall as Layout } from "@/lib/performance/waterfall-layout";
import { ms, statusText } from "./format";
import { transactionHref } from "./performance-href";
import { AXIS_ROW, AxisBar, AxisRuler, MAX_INDENT } from "./time-axis";

// A transaction's span waterfall: one row per span, indented by nesting, its bar placed on the
// transaction's time axis. A row opens (a <details>, no script) on its ids, status, tags and
// data, and on the transactions it started in other services (an outgoing request's span is
// the parent of the server's transaction).

/** A transaction of the trace that a span of this one started. */
export type CalledTransaction = { projectSlug: string; eventId: string; name: string; op: string };

/** A bar's colour by what the span did, red when it failed. */
function colour(op: string | undefined, status: string | undefined): string {
  if (status && isFailedStatus(status)) return "bg-red-500";
  const kind = (op ?? "").split(".")[0];
  if (kind === "db" || kind === "cache") return "bg-amber-500";
  if (kind === "http") return "bg-sky-500";
  if (kind === "ui" || kind === "browser" || kind === "resource" || kind === "paint" || kind === "mark") return "bg-emerald-500";
  return "bg-indigo-500";
}

function SpanDetails({ row, errors, calls, org }: { row: SpanRow; errors: TraceError[]; calls: CalledTransaction[]; org: string }) {
  const { span } = row;
  const facts: [string, string][] = [
    ["span id", span.span_id],
    ["parent span", span.parent_span_id ?? "none"],
    ["op", span.op ?? "none"],
    ["status", statusText(span.status ?? "")],
    ["starts after", ms(row.offsetMs)],
    ["duration", ms(row.durationMs)],
  ];
  return (
    <div className="space-y-2 border-t border-slate-100 bg-slate-50 px-3 py-2 text-xs">
      {row.orphan ? <p className="text-amber-800">Its parent span was not received (or was trimmed), so it is shown under the transaction.</p> : null}
      {span.description ? <pre className="whitespace-pre-wrap break-all font-mono text-slate-800">{span.description}</pre> : null}
      <dl className="grid grid-cols-[12rem_minmax(0,1fr)] gap-x-2">
        {facts.map(([label, value]) => (
          <div key={label} className="contents">
            <dt className="text-slate-500">{label}</dt>
            <dd className="break-all font-mono">{value}</dd>
          </div>
        ))}
        {Object.entries(span.tags ?? {}).map(([key, value]) => (
          <div key={`tag-${key}`} className="contents">
            <dt className="break-all text-slate-500">tag {key}</dt>
            <dd className="break-all font-mono">{String(value)}</dd>
          </div>
        ))}
        {Object.entries(span.data ?? {}).map(([key, value]) => (
          <div key={`data-${key}`} className="contents">
            <dt className="break-all text-slate-500">{key}</dt>
            <dd className="whitespace-pre-wrap break-all font-mono">{typeof value === "string" ? value : JSON.stringify(value, null, 1)}</dd>
          </div>
        ))}
      </dl>
      {calls.length > 0 ? (
        <ul className="space-y-1">
          {calls.map((c) => (
            <li key={c.eventId}>
              Continues in {c.projectSlug}:{" "}
              <Link href={transactionHref(org, c.projectSlug, c.eventId)} className="font-mono text-indigo-700 hover:underline">
                {c.op ? `${c.op} ` : ""}
                {c.name}
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
      {errors.length > 0 ? (
        <ul className="space-y-1">
          {errors.map((e) => (
            <li key={e.eventID}>
              Error in this span:{" "}
              <Link href={`/${org}/issues/${e.issueId}?event=${e.eventID}`} className="text-red-700 hover:underline">
                {e.title}
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

type Props = {
  org: string;
  view: TransactionView;
  layout: Layout;
  errors: TraceError[];
  /** span id -> the transactions of the trace it started */
  calls: Map<string, CalledTransaction[]>;
};

export function Waterfall({ org, view, layout, errors, calls }: Props) {
  const errorsOf = new Map<string, TraceError[]>();
  for (const e of errors) if (e.spanId) errorsOf.set(e.spanId, [...(errorsOf.get(e.spanId) ?? []), e]);
  return (
    <section className="space-y-2" aria-label="Span waterfall">
      <h2 className="text-lg font-medium">
        Spans <span className="text-sm font-normal text-slate-500">({layout.rows.length})</span>
      </h2>
      <div className="overflow-hidden rounded-lg border border-slate-200 bg-white text-sm" data-testid="waterfall">
        <AxisRuler totalMs={layout.totalMs} label="Span" />
        <div className={`${AXIS_ROW} border-b border-slate-200 px-3 py-1.5`} data-testid="waterfall-root">
          <div className="flex min-w-0 items-baseline gap-2">
            <span className="shrink-0 font-medium">{view.op || "transaction"}</span>
            <span className="truncate font-mono text-slate-600">{view.name}</span>
            <span className="ml-auto shrink-0 tabular-nums text-slate-600">{ms(layout.root.durationMs)}</span>
          </div>
          <AxisBar bar={layout.root} className={colour(view.op, view.status)} />
        </div>
        <ol>
          {layout.rows.map((row, i) => {
            const spanErrors = errorsOf.get(row.span.span_id) ?? [];
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: span ids may repeat in hostile input; the rows never reorder
              <li key={`${row.span.span_id}-${i}`} className="border-b border-slate-100 last:border-b-0" data-testid="span-row" data-depth={row.depth}>
                <details className="group">
                  <summary className={`${AXIS_ROW} cursor-pointer list-none px-3 py-1 hover:bg-slate-50 [&::-webkit-details-marker]:hidden`}>
                    <div className="flex min-w-0 items-baseline gap-2" style={{ paddingLeft: `${Math.min(row.depth - 1, MAX_INDENT) * 0.75}rem` }}>
                      <span className="shrink-0 text-slate-400 transition-transform group-open:rotate-90" aria-hidden="true">
                        ▸
                      </span>
                      <span className="shrink-0 font-medium">{row.span.op || "span"}</span>
                      <span className="truncate text-slate-600" title={row.span.description}>
                        {row.span.description ?? ""}
                      </span>
                      {spanErrors.length > 0 ? (
                        <span className="shrink-0 rounded bg-red-100 px-1 text-xs text-red-800" data-testid="span-error">
                          {spanErrors.length === 1 ? "error" : `${spanErrors.length} errors`}
                        </span>
                      ) : null}
                      {row.orphan ? <span className="shrink-0 rounded bg-amber-100 px-1 text-xs text-amber-800">no parent</span> : null}
                      <span className="ml-auto shrink-0 tabular-nums text-slate-600">{ms(row.durationMs)}</span>
                    </div>
                    <AxisBar bar={row} className={colour(row.span.op, row.span.status)} />
                  </summary>
                  <SpanDetails row={row} errors={spanErrors} calls={calls.get(row.span.span_id) ?? []} org={org} />
                </details>
              </li>
            );
          })}
        </ol>
        {layout.rows.length === 0 ? <p className="px-3 py-2 text-slate-600">This transaction came without spans.</p> : null}
      </div>
    </section>
  );
}
