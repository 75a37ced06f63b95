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
 * Periods up to this long are read per hour, longer ones per day: rounding to whole days
 * widens a short period a lot (24 hours would read up to 48), and a day's rows merge many
 * hours' sketches into one (the bench's cut-over table measures both).
 */
export const HOURLY_UP_TO_MS = 3 * DAY;

/**
 * A bucket that ended this long ago is sealed: the worker has stored its transactions (it
 * drains within seconds; this leaves room for a backlog), so its merged figures may be kept.
 */
export const SEALED_AFTER_MS = 10 * 60_000;

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

/** A bucket of stored stats: `index` is the period's bucket (the series point) it adds to. */
export type StatsUnit = { resolution: StatsResolution; bucket: number; index: number; sealed: boolean };

export function statsPeriod(
  start: Date,
  end: Date,
  now = Date.now(),
  resolution?: StatsResolution,
): StatsPeriod {
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

/**
 * The stored buckets that make up a period, none in the future. A day that is not sealed yet
 * (today, and yesterday for a few minutes) is read as its hours, so that only the current
 * hour is left unsealed: a day's row changes with every batch, its past hours do not.
 */
export function periodUnits(period: StatsPeriod, now = Date.now()): StatsUnit[] {
  const sealed = (bucket: number, width: number) => bucket + width + SEALED_AFTER_MS <= now;
  const units: StatsUnit[] = [];
  periodBuckets(period).forEach((date, index) => {
    const bucket = date.getTime();
    if (bucket > now) return;
    if (period.resolution === "h" || sealed(bucket, DAY)) {
      units.push({ resolution: period.resolution, bucket, index, sealed: sealed(bucket, period.step) });
      return;
    }
    for (let hour = bucket; hour < bucket + DAY && hour <= now; hour += HOUR)
      units.push({ resolution: "h", bucket: hour, index, sealed: sealed(hour, HOUR) });
  });
  return units;
}
