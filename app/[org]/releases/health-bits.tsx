import type { ReleaseHealth } from "@/lib/sessions";

// Release health as the releases pages show it: rates as percentages and a small chart drawn
// as inline SVG on the server (no script, nothing the CSP must allow).

/** 0.98765 -> "98.77%"; no sessions -> "n/a". Two decimals: crash-free rates live near 100%. */
export function percent(rate: number | null): string {
  if (rate === null) return "n/a";
  // Floored, so 99.999% never shows as 100% (the epsilon: 0.29 * 10000 is 2899.9999...).
  const value = Math.floor(rate * 10_000 + 1e-9) / 100;
  return `${value.toFixed(value === 100 ? 0 : 2)}%`;
}

/** Bars of sessions per interval, each tinted by its crash-free rate (red below 99%). */
export function HealthSparkline({ health, label, width = 120, height = 28 }: { health: ReleaseHealth; label: string; width?: number; height?: number }) {
  const max = Math.max(1, ...health.sessionSeries);
  const bar = width / health.sessionSeries.length;
  return (
    <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} data-testid="health-sparkline">
      <title>{label}</title>
      <line x1={0} y1={height - 0.5} x2={width} y2={height - 0.5} stroke="#cbd5e1" strokeWidth={1} />
      {health.sessionSeries.map((sessions, i) => {
        if (sessions === 0) return null;
        const h = Math.max(1, (sessions / max) * (height - 2));
        const rate = health.crashFreeSeries[i];
        const colour = rate !== null && rate !== undefined && rate < 0.99 ? "#dc2626" : "#4f46e5";
        return (
          <rect key={health.intervals[i]!.toISOString()} x={i * bar + 0.5} y={height - 1 - h} width={Math.max(1, bar - 1)} height={h} fill={colour}>
            <title>{`${health.intervals[i]!.toISOString().slice(0, 16).replace("T", " ")} UTC: ${sessions} sessions, ${percent(rate ?? null)} crash-free`}</title>
          </rect>
        );
      })}
    </svg>
  );
}
