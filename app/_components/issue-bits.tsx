import { issueKind } from "@/lib/issues/kind";

/** Small pieces the issue pages share. Server components. */

const LEVEL_COLORS: Record<string, string> = {
  fatal: "bg-red-700 text-white",
  error: "bg-red-100 text-red-800",
  warning: "bg-amber-100 text-amber-800",
  info: "bg-sky-100 text-sky-800",
  debug: "bg-slate-100 text-slate-700",
};

export function LevelBadge({ level }: { level: string }) {
  return <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${LEVEL_COLORS[level] ?? LEVEL_COLORS.debug}`}>{level}</span>;
}

/** The issue's kind when it is not an error: a cron monitor's failures, a performance issue. */
export function KindBadge({ type }: { type: string }) {
  const { label } = issueKind(type);
  return label ? (
    <span className="rounded bg-violet-100 px-1.5 py-0.5 text-xs font-medium text-violet-800" data-testid="issue-kind">
      {label}
    </span>
  ) : null;
}

/** "New" and "Regressed" as Sentry shows them (from the substatus), and the status when not unresolved. */
export function StatusBadges({ issue }: { issue: { status: string; substatus: string | null } }) {
  return (
    <>
      {issue.status === "unresolved" && issue.substatus === "new" ? (
        <span className="rounded bg-indigo-100 px-1.5 py-0.5 text-xs font-medium text-indigo-800">New</span>
      ) : null}
      {issue.status === "unresolved" && issue.substatus === "regressed" ? (
        <span className="rounded bg-orange-100 px-1.5 py-0.5 text-xs font-medium text-orange-800">Regressed</span>
      ) : null}
      {issue.status !== "unresolved" ? (
        <span className="rounded bg-slate-200 px-1.5 py-0.5 text-xs font-medium text-slate-700">{issue.status}</span>
      ) : null}
    </>
  );
}

const UNITS: [number, string][] = [
  [365 * 86_400, "y"],
  [30 * 86_400, "mo"],
  [86_400, "d"],
  [3_600, "h"],
  [60, "min"],
];

/** "5min ago", with the exact time on hover. */
export function TimeAgo({ date }: { date: Date }) {
  const seconds = Math.max(0, Math.round((Date.now() - date.getTime()) / 1000));
  const unit = UNITS.find(([size]) => seconds >= size);
  const text = unit ? `${Math.floor(seconds / unit[0])}${unit[1]} ago` : "just now";
  return (
    <time dateTime={date.toISOString()} title={date.toISOString()}>
      {text}
    </time>
  );
}
