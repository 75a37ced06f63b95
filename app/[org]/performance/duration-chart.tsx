import type { TransactionGroupSeriesPoint } from "@/lib/performance/summaries";
import { failurePercent, ms } from "./format";

// A transaction's chart per bucket, drawn on the server as inline SVG (no script, nothing the
// CSP must allow): its count as pale bars on their own scale, p50 and p95 as lines on the
// duration scale, and a tooltip per bucket with every figure. The SVG stretches to the page's
// width, so its text (the scales, the time range) is HTML around it, which does not stretch.

const WIDTH = 800;
const HEIGHT = 200;
const P95 = "#4f46e5";
const P50 = "#0d9488";

/** "2026-12-04 13:00 UTC" */
const bucketText = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

/**
 * Polyline points through the buckets that have a value: a bucket without transactions breaks
 * the line, and a lone value (between empty buckets) is a short dash across its slot.
 */
function segments(values: (number | null)[], x: (i: number) => number, y: (v: number) => number, slot: number): string[] {
  const runs: [number, number][][] = [];
  let current: [number, number][] = [];
  values.forEach((value, i) => {
    if (value === null) {
      if (current.length > 0) runs.push(current);
      current = [];
    } else current.push([x(i), y(value)]);
  });
  if (current.length > 0) runs.push(current);
  return runs.map((run) => {
    const points: [number, number][] = run.length === 1 ? [[run[0]![0] - slot / 3, run[0]![1]], [run[0]![0] + slot / 3, run[0]![1]]] : run;
    return points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ");
  });
}

export function DurationChart({ series, label }: { series: TransactionGroupSeriesPoint[]; label: string }) {
  const peak = Math.max(0, ...series.map((p) => p.count));
  const maxCount = Math.max(1, peak);
  const maxMs = Math.max(1, ...series.map((p) => p.p95 ?? p.p50 ?? 0));
  const slot = WIDTH / Math.max(1, series.length);
  const x = (i: number) => i * slot + slot / 2;
  const y = (value: number) => HEIGHT - 1 - (value / maxMs) * (HEIGHT - 8);
  const total = series.reduce((sum, p) => sum + p.count, 0);
  const line = (values: (number | null)[], colour: string, name: string) =>
    segments(values, x, y, slot).map((points) => (
      <polyline key={`${name}-${points}`} points={points} fill="none" stroke={colour} strokeWidth={2} vectorEffect="non-scaling-stroke" />
    ));
  return (
    <figure className="space-y-1 rounded-lg border border-slate-200 bg-white p-3" data-testid="duration-chart">
      <figcaption className="flex flex-wrap items-center justify-between gap-2 text-xs text-slate-600">
        <span className="font-medium text-slate-800">{label}</span>
        <span className="flex gap-3">
          <span>
            <span className="inline-block h-0.5 w-4 bg-indigo-600 align-middle" /> p95
          </span>
          <span>
            <span className="inline-block h-0.5 w-4 bg-teal-600 align-middle" /> p50
          </span>
          <span>
            <span className="inline-block h-2 w-3 bg-slate-200 align-middle" /> count ({total.toLocaleString("en")}, peak {peak.toLocaleString("en")})
          </span>
        </span>
      </figcaption>
      <div className="flex gap-2">
        <div className="flex w-14 flex-col justify-between text-right text-xs tabular-nums text-slate-500" aria-hidden="true">
          <span>{ms(maxMs)}</span>
          <span>0</span>
        </div>
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          className="h-48 w-full"
          role="img"
          aria-label={`${label}: ${total} transactions, p95 up to ${ms(maxMs)}`}
        >
          <line x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} stroke="#cbd5e1" vectorEffect="non-scaling-stroke" />
          {series.map((p, i) => {
            const h = p.count === 0 ? 0 : Math.max(1, (p.count / maxCount) * (HEIGHT - 8));
            return <rect key={p.bucket} x={i * slot + slot * 0.1} y={HEIGHT - 1 - h} width={slot * 0.8} height={h} fill={p.failureRate > 0 ? "#fecaca" : "#e2e8f0"} />;
          })}
          {line(
            series.map((p) => p.p50),
            P50,
            "p50",
          )}
          {line(
            series.map((p) => p.p95),
            P95,
            "p95",
          )}
          {series.map((p, i) => (
            // The whole column answers the hover, not only the thin bar or line.
            <rect key={`hover-${p.bucket}`} x={i * slot} y={0} width={slot} height={HEIGHT} fill="transparent">
              <title>{`${bucketText(p.bucket)}: ${p.count} transactions, avg ${ms(p.avgDuration)}, p50 ${ms(p.p50)}, p95 ${ms(p.p95)}, ${failurePercent(p.failureRate)} failed`}</title>
            </rect>
          ))}
        </svg>
      </div>
      {series.length > 0 ? (
        <div className="ml-16 flex justify-between text-xs text-slate-500">
          <span>{bucketText(series[0]!.bucket)}</span>
          <span>{bucketText(series.at(-1)!.bucket)}</span>
        </div>
      ) : null}
    </figure>
  );
}
