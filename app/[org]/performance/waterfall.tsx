import type { TransactionView } from "@/lib/performance/transaction-view";
import type { TraceError } from "@/lib/performance/types";
import type { Waterfall as Layout } from "@/lib/performance/waterfall-layout";
import { ms } from "./format";
import { spanColour } from "./span-colour";
import { type CalledTransaction, SpanRows } from "./span-rows";
import { AXIS_ROW, AxisBar, AxisRuler } from "./time-axis";

// A transaction's span waterfall: the transaction's own row, then one row per span (span-rows),
// indented by nesting, its bar placed on the transaction's time axis.

type Props = {
  org: string;
  view: TransactionView;
  layout: Layout;
  errors: TraceError[];
  /** span id -> the transactions of the trace it started */
  calls: Map<string, CalledTransaction[]>;
};

export function Waterfall({ org, view, layout, errors, calls }: Props) {
  const errorsBySpan = new Map<string, TraceError[]>();
  for (const e of errors) if (e.spanId) errorsBySpan.set(e.spanId, [...(errorsBySpan.get(e.spanId) ?? []), e]);
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
          <AxisBar bar={layout.root} className={spanColour(view.op, view.status)} />
        </div>
        <SpanRows org={org} rows={layout.rows} errorsBySpan={errorsBySpan} callsBySpan={calls} />
        {layout.rows.length === 0 ? <p className="px-3 py-2 text-slate-600">This transaction came without spans.</p> : null}
      </div>
    </section>
  );
}
