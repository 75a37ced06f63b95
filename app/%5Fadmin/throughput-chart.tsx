import { count } from "./format";

// Events stored per minute over the last hour: inline SVG drawn on the server (no script,
// nothing the CSP must allow), one bar a minute, its exact figure in the bar's title.

export function ThroughputChart({ minutes }: { minutes: { minute: string; events: number }[] }) {
  const width = 720;
  const height = 120;
  const max = Math.max(1, ...minutes.map((m) => m.events));
  const total = minutes.reduce((sum, m) => sum + m.events, 0);
  const bar = width / Math.max(1, minutes.length);
  const label = (m: { minute: string }) => m.minute.slice(11, 16) || m.minute;
  return (
    <figure className="space-y-1">
      <figcaption className="flex justify-between text-xs text-slate-500">
        <span>Events stored per minute, last {minutes.length} minutes (UTC)</span>
        <span data-testid="throughput-total">
          {count(total)} events, peak {count(max === 1 && total === 0 ? 0 : max)}/min
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={`Events per minute: ${total} in the last hour`} className="h-32 w-full" data-testid="throughput-chart">
        <line x1={0} y1={height - 0.5} x2={width} y2={height - 0.5} stroke="#cbd5e1" strokeWidth={1} />
        {minutes.map((m, i) => {
          const h = m.events === 0 ? 0 : Math.max(1, (m.events / max) * (height - 2));
          return (
            <rect key={m.minute} x={i * bar + 0.5} y={height - 1 - h} width={Math.max(1, bar - 1)} height={h} fill="#4f46e5">
              <title>{`${label(m)}: ${m.events} events`}</title>
            </rect>
          );
        })}
      </svg>
      {minutes.length > 0 ? (
        <div className="flex justify-between text-xs text-slate-500">
          <span>{label(minutes[0]!)}</span>
          <span>{label(minutes[minutes.length - 1]!)}</span>
        </div>
      ) : null}
    </figure>
  );
}
