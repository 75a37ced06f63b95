/** Server-rendered charts: plain SVG, no client JavaScript. */

/** A bar sparkline of [unix seconds, count] buckets. */
export function Sparkline({
  series,
  width = 96,
  height = 24,
  label,
  className = "",
}: { series: [number, number][]; width?: number; height?: number; label: string; className?: string }) {
  const max = Math.max(1, ...series.map(([, c]) => c));
  const bar = width / Math.max(1, series.length);
  return (
    <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} preserveAspectRatio="none" className={`text-indigo-500 ${className}`}>
      {series.map(([at, count], i) => {
        const h = count === 0 ? 0 : Math.max(1, (count / max) * height);
        return <rect key={at} x={i * bar + 0.5} y={height - h} width={Math.max(1, bar - 1)} height={h} fill="currentColor" />;
      })}
    </svg>
  );
}

/** A larger bar chart with the peak and the time range written out. */
export function BarChart({ series, label, height = 80 }: { series: [number, number][]; label: string; height?: number }) {
  const width = 600;
  const total = series.reduce((sum, [, c]) => sum + c, 0);
  const max = Math.max(0, ...series.map(([, c]) => c));
  return (
    <figure className="space-y-1">
      <figcaption className="flex justify-between text-xs text-slate-500">
        <span>{label}</span>
        <span>
          {total} events, peak {max}
        </span>
      </figcaption>
      <Sparkline series={series} width={width} height={height} label={`${label}: ${total} events`} className="h-20 w-full" />
    </figure>
  );
}
