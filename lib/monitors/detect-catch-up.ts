import { nextScheduledTime } from "./schedule";

// Which expected times of one monitor environment went by without a check-in, and when the
// next one is due. Pure: the minute job (detect-missed.ts) stores what this decides.

/**
 * At most this many missed check-ins per environment and run. Sentry's clock ticks once per
 * minute and each tick marks one expected time, so after an outage of the worker it records
 * every expected time it slept through; a "* * * * *" monitor after a day down would get 1,440
 * rows (and 1,440 failures) in one run. Past the bound the earliest ones are kept (they date
 * the start of the outage) and the schedule jumps to the future.
 */
export const MAX_MISSED_PER_RUN = 10;

export type Schedule = {
  scheduleType: "crontab" | "interval";
  schedule: string;
  timezone: string;
  checkinMargin: number;
};

export type CatchUp = {
  /** Expected times to record as missed, oldest first (empty for a disabled monitor). */
  missed: Date[];
  /** Whether expected times past the bound went unrecorded (not counted: that would walk them all). */
  skipped: boolean;
  /** The next expected check-in and its deadline (next + margin); null: never again (bad schedule). */
  next: Date | null;
  nextLatest: Date | null;
};

const MINUTE = 60_000;

/**
 * `expected` is the environment's next_check_in, already past its deadline at `now`. Walks the
 * schedule from it: every expected time whose deadline (time + margin) is at or before `now`
 * was missed. `record: false` (a disabled monitor) only moves the schedule on.
 */
export function catchUp(schedule: Schedule, expected: Date, now: Date, record = true): CatchUp {
  const margin = Math.max(0, schedule.checkinMargin) * MINUTE;
  const missed: Date[] = [];
  let skipped = false;
  let at = expected;
  try {
    while (at.getTime() + margin <= now.getTime()) {
      if (!record || missed.length === MAX_MISSED_PER_RUN) {
        // Jump to the first time whose deadline is still ahead (strictly after now - margin).
        // An interval schedule is anchored anew there, as after a check-in.
        skipped = record;
        at = nextScheduledTime(schedule, new Date(now.getTime() - margin));
        break;
      }
      missed.push(at);
      const following = nextScheduledTime(schedule, at);
      // A schedule that does not move forward would loop: treat it as broken.
      if (!(following.getTime() > at.getTime())) return { missed, skipped, next: null, nextLatest: null };
      at = following;
    }
  } catch {
    // A stored schedule that no longer parses (cron-parser changed, a zone left the tz
    // database): the environment stops being expected instead of failing every run.
    return { missed, skipped, next: null, nextLatest: null };
  }
  return { missed, skipped, next: at, nextLatest: new Date(at.getTime() + margin) };
}
