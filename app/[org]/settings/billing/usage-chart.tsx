import type { StatsResult } from "@/lib/usage/stats";

// The 30-day usage chart: per data category, one stacked bar per day (accepted, filtered,
// rate limited), drawn on the server as SVG. No script, no chart library.

const OUTCOMES = [
  { id: "accepted", label: "Accepted", color: "#4f46e5" },
  { id: "filtered", label: "Filtered", color: "#f59e0b" },
  { id: "rate_limited", label: "Rate limited", color: "#dc2626" },
] as const;

const WIDTH = 600;
const HEIGHT = 120;

type Category = { name: string; days: Record<string, number>[]; totals: Record<string, number> };

function byCategory(chart: StatsResult): Category[] {
  const categories = new Map<string, Category>();
  for (const group of chart.groups) {
    const name = String(group.by.category);
    const outcome = String(group.by.outcome);
    let category = categories.get(name);
    if (!category) {
      category = { name, days: chart.intervals.map(() => ({})), totals: {} };
      categories.set(name, category);
    }
    const series = group.series["sum(quantity)"] ?? [];
    series.forEach((n, i) => {
      category.days[i]![outcome] = (category.days[i]![outcome] ?? 0) + n;
    });
    category.totals[outcome] = (category.totals[outcome] ?? 0) + (group.totals["sum(quantity)"] ?? 0);
  }
  // Errors first, then the rest by name.
  return [...categories.values()].sort((a, b) => (a.name === "error" ? -1 : b.name === "error" ? 1 : a.name.localeCompare(b.name)));
}

export function UsageChart({ chart }: { chart: StatsResult }) {
  const categories = byCategory(chart);
  if (categories.length === 0) return <p className="text-sm text-slate-600">No events in the last 30 days.</p>;
  const slot = WIDTH / chart.intervals.length;
  return (
    <div className="space-y-6">
      <ul className="flex gap-4 text-xs text-slate-600">
        {OUTCOMES.map((o) => (
          <li key={o.id} className="flex items-center gap-1">
            <span className="inline-block h-3 w-3 rounded-sm" style={{ background: o.color }} />
            {o.label}
          </li>
        ))}
      </ul>
      {categories.map((category) => {
        const max = Math.max(1, ...category.days.map((d) => OUTCOMES.reduce((sum, o) => sum + (d[o.id] ?? 0), 0)));
        return (
          <figure key={category.name} data-testid={`usage-${category.name}`}>
            <figcaption className="mb-1 flex justify-between text-sm">
              <span className="font-medium capitalize">{category.name.replace("_", " ")}</span>
              <span className="text-slate-600">
                {OUTCOMES.map((o) => (
                  <span key={o.id} className="ml-3" data-testid={`usage-${category.name}-${o.id}`}>
                    {o.label}: {(category.totals[o.id] ?? 0).toLocaleString("en-US")}
                  </span>
                ))}
              </span>
            </figcaption>
            <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} className="h-32 w-full rounded border border-slate-200 bg-white" role="img" aria-label={`${category.name} per day`}>
              {category.days.map((day, i) => {
                let y = HEIGHT;
                return (
                  <g key={chart.intervals[i]}>
                    <title>
                      {`${chart.intervals[i]!.slice(0, 10)}: ${OUTCOMES.map((o) => `${o.label.toLowerCase()} ${day[o.id] ?? 0}`).join(", ")}`}
                    </title>
                    {OUTCOMES.map((o) => {
                      const h = ((day[o.id] ?? 0) / max) * (HEIGHT - 4);
                      y -= h;
                      return h > 0 ? <rect key={o.id} x={i * slot + 1} y={y} width={Math.max(1, slot - 2)} height={h} fill={o.color} /> : null;
                    })}
                  </g>
                );
              })}
            </svg>
          </figure>
        );
      })}
    </div>
  );
}
