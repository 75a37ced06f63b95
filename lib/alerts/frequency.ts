import type { SqlTx } from "../db";
import { ServiceUnavailableError } from "../errors";
import type { IssueFacts } from "../events/store-errors";
import { redis, redisKey } from "../redis";
import { type AlertRuleSpec, CONDITION_IDS, INTERVAL_MINUTES } from "./catalog";

// Where the counts of frequency conditions come from:
// - windows of up to an hour, from Redis, per issue: events in a hash whose fields are minutes
//   (a Lua script adds the batch, drops minutes older than an hour and returns the rest), users
//   in one HyperLogLog per minute; all expire an hour after the issue's last event;
// - windows of a day or more: events from issue_hourly_counts, which this batch's transaction
//   has already moved; users from HyperLogLogs per hour and per day (kept 31 and 32 days): a
//   window reads the hours of its first day and the whole days after it, so a month's window
//   merges a few dozen keys, not one per hour.
// A window starts at the start of the minute (windows of up to an hour) or hour (longer ones)
// it starts in: the count includes up to a minute (an hour) more than the window, so a rule may
// fire a little early, never misses a crossing. ("1m" is the current and the previous minute,
// not the current minute alone, which would start again from nothing at every minute.)
// Events count in the minute (hour) of their own timestamp, clamped to now, like the hourly
// counts: an event sent late by an offline SDK counts where it happened.
// Redis counts move before the batch commits: a batch retried after a failed commit (or a
// batch part rolled back to isolate a bad item) counts twice there. That is rare and errs
// towards firing.
// Counts are of the issue in every environment: a rule's environment selects the events it
// fires on, not what the counters count.
// Keys carry the project's hash tag, as its streams do, so they share a Redis Cluster slot.

const HOUR_MINUTES = 60;
const MINUTE_TTL_SECONDS = 61 * 60;
const HOUR_TTL_SECONDS = 31 * 86_400;
const DAY_TTL_SECONDS = 32 * 86_400;

type Kind = "events" | "users";

/** The counts of one batch's issues for the frequency conditions of a project's rules. */
export class FrequencyCounts {
  private readonly counts = new Map<string, number>();
  set(issueId: number, kind: Kind, minutes: number, count: number) {
    this.counts.set(`${issueId}|${kind}|${minutes}`, count);
  }
  get(issueId: number, kind: Kind, minutes: number): number {
    return this.counts.get(`${issueId}|${kind}|${minutes}`) ?? 0;
  }
}

/** Counts (after adding this batch) only what the rules' frequency conditions need; nothing without them. */
export async function countFrequencies(
  tx: SqlTx,
  projectId: number,
  issues: IssueFacts[],
  rules: AlertRuleSpec[],
  now: Date,
): Promise<FrequencyCounts> {
  const counts = new FrequencyCounts();
  const windows = { events: new Set<number>(), users: new Set<number>() };
  for (const rule of rules)
    for (const condition of rule.conditions) {
      if (condition.id === CONDITION_IDS.eventFrequency) windows.events.add(INTERVAL_MINUTES[condition.interval]);
      if (condition.id === CONDITION_IDS.uniqueUserFrequency) windows.users.add(INTERVAL_MINUTES[condition.interval]);
    }
  if (windows.events.size + windows.users.size === 0) return counts;
  try {
    await countInto(tx, projectId, issues, windows, now, counts);
  } catch (error) {
    if (error instanceof Error && "code" in error && typeof error.code === "string" && /^[0-9A-Z]{5}$/.test(error.code)) throw error;
    throw new ServiceUnavailableError(`alert frequency counts unavailable: ${(error as Error)?.message ?? error}`, { cause: error });
  }
  return counts;
}

async function countInto(
  tx: SqlTx,
  projectId: number,
  issues: IssueFacts[],
  windows: { events: Set<number>; users: Set<number> },
  now: Date,
  counts: FrequencyCounts,
) {
  const short = (set: Set<number>) => [...set].filter((m) => m <= HOUR_MINUTES);
  const long = (set: Set<number>) => [...set].filter((m) => m > HOUR_MINUTES);
  await Promise.all([
    short(windows.events).length > 0 && countEventsByMinute(projectId, issues, short(windows.events), now, counts),
    long(windows.events).length > 0 && countEventsByHour(tx, issues, long(windows.events), now, counts),
    windows.users.size > 0 && countUsers(projectId, issues, short(windows.users), long(windows.users), now, counts),
  ]);
}

const minuteOf = (ts: Date, now: Date) => Math.floor(Math.min(ts.getTime(), now.getTime()) / 60_000);

const eventMinutesKey = (projectId: number, issueId: number) => redisKey(`{p${projectId}}`, "alert-events", issueId);
const userMinuteKey = (projectId: number, issueId: number, minute: number) =>
  redisKey(`{p${projectId}}`, "alert-users-m", issueId, minute);
const userHourKey = (projectId: number, issueId: number, hour: number) => redisKey(`{p${projectId}}`, "alert-users-h", issueId, hour);
const userDayKey = (projectId: number, issueId: number, day: number) => redisKey(`{p${projectId}}`, "alert-users-d", issueId, day);

/** The keys of a window of a day or more: hours from the one it starts in to the end of that day, then days. */
function longWindowKeys(projectId: number, issueId: number, window: number, nowMinute: number): string[] {
  const nowHour = Math.floor(nowMinute / 60);
  const firstHour = Math.floor((nowMinute - window) / 60);
  const firstDay = Math.floor(firstHour / 24);
  const keys: string[] = [];
  for (let hour = firstHour; hour < (firstDay + 1) * 24 && hour <= nowHour; hour++) keys.push(userHourKey(projectId, issueId, hour));
  for (let day = firstDay + 1; day <= Math.floor(nowHour / 24); day++) keys.push(userDayKey(projectId, issueId, day));
  return keys;
}

// KEYS: one hash per issue. ARGV: the current minute, the TTL, then per key the number of
// (minute, count) pairs to add followed by the pairs. Returns per key its remaining
// minutes and counts, flat.
const ADD_MINUTES_LUA = `
local now, ttl, at = tonumber(ARGV[1]), tonumber(ARGV[2]), 3
local oldest = now - ${HOUR_MINUTES}
local out = {}
for k = 1, #KEYS do
  local n = tonumber(ARGV[at]); at = at + 1
  for i = 1, n do
    local minute = tonumber(ARGV[at])
    if minute >= oldest then redis.call('HINCRBY', KEYS[k], ARGV[at], tonumber(ARGV[at + 1])) end
    at = at + 2
  end
  redis.call('EXPIRE', KEYS[k], ttl)
  local all = redis.call('HGETALL', KEYS[k])
  local kept = {}
  for i = 1, #all, 2 do
    if tonumber(all[i]) < oldest then redis.call('HDEL', KEYS[k], all[i])
    else kept[#kept + 1] = all[i]; kept[#kept + 1] = all[i + 1] end
  end
  out[k] = kept
end
return out`;

async function countEventsByMinute(projectId: number, issues: IssueFacts[], windows: number[], now: Date, counts: FrequencyCounts) {
  const args: (string | number)[] = [];
  for (const issue of issues) {
    const perMinute = new Map<number, number>();
    for (const p of issue.events) {
      const minute = minuteOf(p.event.timestamp, now);
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
    }
    args.push(perMinute.size, ...[...perMinute].flat());
  }
  const nowMinute = minuteOf(now, now);
  const keys = issues.map((i) => eventMinutesKey(projectId, i.issueId));
  const result = (await redis().eval(ADD_MINUTES_LUA, keys.length, ...keys, nowMinute, MINUTE_TTL_SECONDS, ...args)) as string[][];
  issues.forEach((issue, k) => {
    const flat = result[k] ?? [];
    for (const window of windows) {
      let sum = 0;
      for (let i = 0; i < flat.length; i += 2) if (Number(flat[i]) >= nowMinute - window) sum += Number(flat[i + 1]);
      counts.set(issue.issueId, "events", window, sum);
    }
  });
}

async function countEventsByHour(tx: SqlTx, issues: IssueFacts[], windows: number[], now: Date, counts: FrequencyCounts) {
  const rows = await tx.rows<{ issue_id: number; minutes: number; count: number }>`
    select i.issue_id, w.minutes, coalesce(sum(h.count), 0)::int as count
    from unnest(${issues.map((i) => i.issueId)}::int[]) as i(issue_id)
    cross join unnest(${windows}::int[]) as w(minutes)
    left join issue_hourly_counts h on h.issue_id = i.issue_id
      and h.hour >= date_trunc('hour', ${now.toISOString()}::timestamptz - w.minutes * interval '1 minute') and h.hour <= ${now.toISOString()}::timestamptz
    group by i.issue_id, w.minutes`;
  for (const row of rows) counts.set(row.issue_id, "events", row.minutes, row.count);
}

async function countUsers(
  projectId: number,
  issues: IssueFacts[],
  shortWindows: number[],
  longWindows: number[],
  now: Date,
  counts: FrequencyCounts,
) {
  const pipeline = redis().pipeline();
  const nowMinute = minuteOf(now, now);
  for (const issue of issues) {
    const byMinute = new Map<number, string[]>();
    for (const p of issue.events) {
      if (!p.event.userTag) continue;
      const minute = minuteOf(p.event.timestamp, now);
      const users = byMinute.get(minute);
      if (users) users.push(p.event.userTag);
      else byMinute.set(minute, [p.event.userTag]);
    }
    const byHour = new Map<number, string[]>();
    for (const [minute, users] of byMinute) {
      const hour = Math.floor(minute / 60);
      byHour.set(hour, [...(byHour.get(hour) ?? []), ...users]);
    }
    if (shortWindows.length > 0)
      for (const [minute, users] of byMinute) {
        if (minute < nowMinute - HOUR_MINUTES) continue;
        const key = userMinuteKey(projectId, issue.issueId, minute);
        pipeline.pfadd(key, ...users).expire(key, MINUTE_TTL_SECONDS);
      }
    if (longWindows.length > 0)
      for (const [hour, users] of byHour) {
        const hourKey = userHourKey(projectId, issue.issueId, hour);
        const dayKey = userDayKey(projectId, issue.issueId, Math.floor(hour / 24));
        pipeline.pfadd(hourKey, ...users).expire(hourKey, HOUR_TTL_SECONDS);
        pipeline.pfadd(dayKey, ...users).expire(dayKey, DAY_TTL_SECONDS);
      }
  }
  const reads: [number, number][] = [];
  for (const issue of issues) {
    for (const window of shortWindows) {
      const keys = Array.from({ length: window + 1 }, (_, i) => userMinuteKey(projectId, issue.issueId, nowMinute - i));
      pipeline.pfcount(...keys);
      reads.push([issue.issueId, window]);
    }
    for (const window of longWindows) {
      // from the hour the window starts in, as with the hourly event counts
      pipeline.pfcount(...longWindowKeys(projectId, issue.issueId, window, nowMinute));
      reads.push([issue.issueId, window]);
    }
  }
  const results = (await pipeline.exec()) ?? [];
  const answers = results.slice(results.length - reads.length);
  for (const [error] of results) if (error) throw error;
  reads.forEach(([issueId, window], i) => {
    counts.set(issueId, "users", window, Number(answers[i]![1]));
  });
}
