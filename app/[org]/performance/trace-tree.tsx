import Link from "next/link";
import { isFailedStatus } from "@/lib/performance/sketch";
import type { TraceRow } from "@/lib/performance/waterfall-layout";
import { ms } from "./format";
import { AXIS_ROW, AxisBar, AxisRuler, MAX_INDENT } from "./time-axis";
import { transactionHref } from "./performance-href";

// A trace's transactions across projects (a browser's pageload, the backend requests it made)
// as a tree on one time axis: indentation is who called whom, the bar is when and how long.

export function TraceTree({ org, rows, totalMs }: { org: string; rows: TraceRow[]; totalMs: number }) {
  return (
    <div className="overflow-hidden rounded-lg border border-slate-200 bg-white text-sm" data-testid="trace-tree">
      <AxisRuler totalMs={totalMs} label="Transaction" />
      <ol>
        {rows.map(({ transaction: t, depth, errors, left, width, durationMs }) => (
          <li key={`${t.project.id}-${t.eventID}`} className={`${AXIS_ROW} border-b border-slate-100 px-3 py-1.5 last:border-b-0`} data-testid="trace-row" data-depth={depth}>
            <div className="flex min-w-0 items-baseline gap-2" style={{ paddingLeft: `${Math.min(depth, MAX_INDENT)}rem` }}>
              {depth > 0 ? (
                <span className="shrink-0 text-slate-400" aria-hidden="true">
                  └
                </span>
              ) : null}
              <span className="shrink-0 rounded bg-slate-100 px-1 text-xs">{t.project.slug}</span>
              <span className="shrink-0 font-medium">{t.op || "transaction"}</span>
              <Link href={transactionHref(org, t.project.slug, t.eventID)} className="truncate font-mono text-indigo-700 hover:underline" title={t.transaction}>
                {t.transaction}
              </Link>
              {errors.length > 0 ? (
                <span className="shrink-0 rounded bg-red-100 px-1 text-xs text-red-800" data-testid="trace-row-errors" title={errors.map((e) => e.title).join("\n")}>
                  {errors.length === 1 ? "1 error" : `${errors.length} errors`}
                </span>
              ) : null}
              <span className="ml-auto shrink-0 tabular-nums text-slate-600">{ms(durationMs)}</span>
            </div>
            <AxisBar bar={{ left, width }} className={isFailedStatus(t.status) ? "bg-red-500" : "bg-indigo-500"} />
          </li>
        ))}
      </ol>
    </div>
  );
}
