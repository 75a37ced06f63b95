// Which stats rows a period reads, and the period they really cover. The worker keeps each
// group's figures per UTC hour ("h") and per UTC day ("d"); a period is read from whole buckets
// of one resolution: its start rounded down to its bucket, its end up to the end of its bucket.
// A bucket at an edge counts whole (a transaction in it may be up to one bucket outside the
// asked period), and the figures say so: `start`/`end` are the rounded ones, and rates divide by
// the minutes from the rounded start to the rounded end or now, whichever comes first (the
// current bucket has no transactions from the future).

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * Periods up to this long are read from hourly rows, longer ones from daily rows. Daily rows
 * are fewer but each holds about six times the sketch buckets of an hourly row, and rounding
 * to whole days widens a short period a lot (24 hours would read up to 48), so hours serve
 * up to three days.
 */
export const HOURLY_UP_TO_MS = 3 * DAY;

export type StatsResolution = "h" | "d";

export type StatsPeriod = {
  resolution: StatsResolution;
  /** the first bucket read (inclusive) */
  start: Date;
  /** the end of the last bucket read (exclusive) */
  end: Date;
  /** bucket length in ms */
  step: number;
  /** minutes the figures cover, for per-minute rates: rounded start to the rounded end or now */
  minutes: number;
};

export function statsPeriod(start: Date, end: Date, now = Date.now(), resolution?: StatsResolution): StatsPeriod {
  const chosen = resolution ?? (end.getTime() - start.getTime() <= HOURLY_UP_TO_MS ? "h" : "d");
  const step = chosen === "h" ? HOUR : DAY;
  const first = Math.floor(start.getTime() / step) * step;
  const last = Math.max(Math.ceil(end.getTime() / step) * step, first + step);
  const covered = Math.min(last, Math.max(now, first + 60_000)) - first;
  return { resolution: chosen, start: new Date(first), end: new Date(last), step, minutes: covered / 60_000 };
}

/** The bucket starts of a period, oldest first. */
export function periodBuckets(period: StatsPeriod): Date[] {
  const out: Date[] = [];
  for (let t = period.start.getTime(); t < period.end.getTime(); t += period.step) out.push(new Date(t));
  return out;
}
