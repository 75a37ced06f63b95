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
 * nextScheduledTime's answers within one run of the job. cron-parser parses the expression
 * on every call, which weighs on a run with thousands of due environments; those due in the
 * same minute mostly share a schedule and an expected time ("0 * * * *" at the full hour), so
 * one parse serves them all. Keyed by everything the answer depends on.
 */
export type ScheduleMemo = Map<string, Date>;

function next(schedule: Schedule, after: Date, memo: ScheduleMemo | undefined): Date {
  if (!memo) return nextScheduledTime(schedule, after);
  const key = `${schedule.scheduleType}\n${schedule.schedule}\n${schedule.timezone}\n${after.getTime()}`;
  let at = memo.get(key);
  if (!at) {
    at = nextScheduledTime(schedule, after);
    // bounded: a run's distinct schedules and times, but never more than this many kept
    if (memo.size >= 50_000) memo.clear();
    memo.set(key, at);
  }
  return at;
}

/**
 * `expected` is the environment's next_check_in, already past its deadline at `now`. Walks the
 * schedule from it: every expected time whose deadline (time + margin) is at or before `now`
 * was missed. `record: false` (a disabled monitor) only moves the schedule on.
 */
export function catchUp(
  schedule: Schedule,
  expected: Date,
  now: Date,
  record = true,
  memo?: ScheduleMemo,
): CatchUp {
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
        at = next(schedule, new Date(now.getTime() - margin), memo);
        break;
      }
      missed.push(at);
      const following = next(schedule, at, memo);
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
