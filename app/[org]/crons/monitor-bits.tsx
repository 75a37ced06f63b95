/** Small pieces the Crons pages share. Server components. */
import type { CheckInTick } from "@/lib/monitors/api-list";
import type { MonitorView } from "@/lib/monitors/api-read";

/** Colours of check-in statuses, as Sentry's timelines use them. */
const CHECK_IN_COLORS: Record<string, string> = {
  ok: "bg-green-500",
  error: "bg-red-600",
  missed: "bg-amber-400",
  timeout: "bg-orange-500",
  in_progress: "bg-slate-400",
  unknown: "bg-slate-300",
};

const STATUS_STYLES: Record<string, string> = {
  ok: "bg-green-100 text-green-800",
  error: "bg-red-100 text-red-800",
  missed_checkin: "bg-amber-100 text-amber-800",
  missed: "bg-amber-100 text-amber-800",
  timeout: "bg-orange-100 text-orange-800",
  in_progress: "bg-slate-100 text-slate-700",
  active: "bg-slate-100 text-slate-700",
  disabled: "bg-slate-200 text-slate-600",
};

// One word per status, the same for a check-in and for an environment's state (its last one).
const STATUS_WORDS: Record<string, string> = {
  ok: "OK",
  error: "Error",
  missed_checkin: "Missed",
  missed: "Missed",
  timeout: "Timeout",
  in_progress: "In progress",
  active: "Waiting for first check-in",
  disabled: "Disabled",
  unknown: "Unknown",
};

const statusWord = (status: string) => STATUS_WORDS[status] ?? status;

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`whitespace-nowrap rounded px-1.5 py-0.5 text-xs font-medium ${STATUS_STYLES[status] ?? STATUS_STYLES.active}`}>
      {statusWord(status)}
    </span>
  );
}

/** The schedule as people read it: the crontab as written, intervals as "every 2 hours". */
export function scheduleText(monitor: Pick<MonitorView, "scheduleType" | "schedule" | "timezone">): string {
  if (monitor.scheduleType === "interval") {
    const [n, unit] = monitor.schedule.split(" ");
    return `every ${n} ${unit}${n === "1" ? "" : "s"}`;
  }
  return monitor.timezone === "UTC" ? monitor.schedule : `${monitor.schedule} (${monitor.timezone})`;
}

/**
 * Recent check-ins as coloured ticks on a time line from `since` to now: each at its time, its
 * status and time on hover. Check-ins that land on the same pixel overlap; the later one shows.
 */
export function CheckInTimeline({ ticks, since, now }: { ticks: CheckInTick[]; since: Date; now: Date }) {
  const span = Math.max(now.getTime() - since.getTime(), 1);
  return (
    <div
      className="relative h-5 min-w-40 rounded bg-slate-100"
      role="img"
      aria-label={`${ticks.length} check-ins since ${since.toISOString()}`}
      data-testid="checkin-timeline"
    >
      {[...ticks].reverse().map((tick, i) => {
        const at = Math.min(Math.max((tick.dateCreated.getTime() - since.getTime()) / span, 0), 1);
        return (
          <span
            // biome-ignore lint/suspicious/noArrayIndexKey: ticks have no id; the order is fixed
            key={i}
            title={`${statusWord(tick.status)} · ${tick.environment} · ${tick.dateCreated.toISOString()}`}
            data-status={tick.status}
            className={`absolute inset-y-0.5 w-1 rounded-sm ${CHECK_IN_COLORS[tick.status] ?? CHECK_IN_COLORS.unknown}`}
            style={{ left: `calc(${(at * 100).toFixed(2)}% - 2px)` }}
          />
        );
      })}
    </div>
  );
}

export function TimelineLegend() {
  return (
    <p className="flex flex-wrap gap-3 text-xs text-slate-600">
      {["ok", "error", "missed", "timeout", "in_progress"].map((status) => (
        <span key={status} className="flex items-center gap-1">
          <span className={`inline-block h-3 w-1 rounded-sm ${CHECK_IN_COLORS[status]}`} />
          {statusWord(status)}
        </span>
      ))}
    </p>
  );
}

/** "1.2 s", "3 min 4 s", from milliseconds. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A future time as "in 5min", with the exact time on hover. */
export function TimeUntil({ date, now }: { date: Date; now: Date }) {
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const text =
    abs < 60 ? "now" : abs < 3600 ? `${Math.round(abs / 60)}min` : abs < 86_400 ? `${Math.round(abs / 3600)}h` : `${Math.round(abs / 86_400)}d`;
  return (
    <time dateTime={date.toISOString()} title={date.toISOString()}>
      {seconds >= 60 ? `in ${text}` : seconds <= -60 ? `${text} overdue` : text}
    </time>
  );
}
