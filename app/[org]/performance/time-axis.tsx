import type { Bar } from "@/lib/performance/waterfall-layout";
import { ms } from "./format";

// The waterfall's and the trace view's shared parts: a row is a label column and a bar on one
// time axis. Bars are placed with style attributes, which the CSP allows (styles run no code).

/** The two columns of every row: what it is, and its bar. */
export const AXIS_ROW = "grid grid-cols-[minmax(0,2fr)_minmax(0,3fr)] items-center gap-3";

/** Deeper nesting keeps this indentation: a 1,000-deep chain must not push rows off the page. */
export const MAX_INDENT = 24;

export function AxisBar({ bar, className }: { bar: Pick<Bar, "left" | "width">; className: string }) {
  return (
    <div className="relative h-3 rounded-sm bg-slate-100" aria-hidden="true">
      <div
        className={`absolute inset-y-0 min-w-px rounded-sm ${className}`}
        style={{ left: `${(bar.left * 100).toFixed(3)}%`, width: `${(bar.width * 100).toFixed(3)}%` }}
      />
    </div>
  );
}

/** The axis' ticks: 0, a quarter, half, three quarters and the whole of it. */
export function AxisRuler({ totalMs, label }: { totalMs: number; label: string }) {
  return (
    <div className={`${AXIS_ROW} border-b border-slate-200 px-3 py-1 text-xs text-slate-500`}>
      <span>{label}</span>
      <div className="flex justify-between tabular-nums" aria-hidden="true">
        {[0, 0.25, 0.5, 0.75, 1].map((share) => (
          <span key={share}>{ms(totalMs * share)}</span>
        ))}
      </div>
    </div>
  );
}
