import { AppError } from "../errors";
import { parseDate, parsePeriod } from "../sessions/params";

// The query-string pieces the performance endpoints share (transaction-groups, transactions),
// read as Sentry's events endpoints read them. Each check is a 400 with a clear message.

const bad = (message: string) => new AppError("bad_request", message);

/** Every value of the query string free of NUL (Postgres text refuses it: a 400 here, not a 500 later). */
export function assertNoNul(params: URLSearchParams): void {
  for (const [name, value] of params)
    if (value.includes("\0")) throw bad(`${name} may not contain NUL characters`);
}

/** A parameter given at most once; undefined when absent. */
export function singleParam(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw bad(`${name}: give it once`);
  return values[0];
}

/** A text parameter given at most once, of at most `max` characters; null when absent or empty. */
export function textParam(params: URLSearchParams, name: string, max: number): string | null {
  const value = singleParam(params, name);
  if (value === undefined || value === "") return null;
  if (value.length > max) throw bad(`${name}: at most ${max} characters`);
  return value;
}

/** `project=` as Sentry sends it: numeric ids, repeatable; none or -1 means every project (null). */
export function projectIdsParam(params: URLSearchParams): number[] | null {
  const values = params.getAll("project").filter((p) => p !== "");
  if (values.length > 100) throw bad("project: at most 100 projects");
  for (const p of values) if (!/^-?\d{1,10}$/.test(p)) throw bad(`project: numeric ids only, not ${p}`);
  const ids = values.map(Number);
  return ids.length === 0 || ids.includes(-1) ? null : [...new Set(ids)];
}

/**
 * The period: `statsPeriod` (e.g. 24h, 14d; `defaultPeriod` when nothing is given) ending now,
 * or `start` and `end` (ISO dates, UTC without a zone). Never before the epoch, so that a huge
 * period stays a date PostgreSQL can hold.
 */
export function timeRangeParams(
  params: URLSearchParams,
  defaultPeriod: string,
  now = Date.now(),
): { start: Date; end: Date } {
  const period = singleParam(params, "statsPeriod");
  const startText = singleParam(params, "start");
  const endText = singleParam(params, "end");
  if (startText !== undefined || endText !== undefined) {
    if (startText === undefined || endText === undefined) throw bad("start and end go together");
    if (period !== undefined) throw bad("use statsPeriod or start and end, not both");
    const start = parseDate("start", startText);
    const end = parseDate("end", endText);
    if (end <= start) throw bad("end must be after start");
    return { start: new Date(Math.max(start, 0)), end: new Date(Math.max(end, 1)) };
  }
  const seconds = parsePeriod(period ?? defaultPeriod);
  if (seconds === null || seconds === 0) throw bad(`statsPeriod: like 24h, 14d or 90d, not ${period}`);
  return { start: new Date(Math.max(now - seconds * 1000, 0)), end: new Date(now) };
}

/** `per_page`, an integer in 1..max (`fallback` when absent). */
export function perPageParam(params: URLSearchParams, fallback: number, max: number): number {
  const text = singleParam(params, "per_page");
  if (text === undefined || text === "") return fallback;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw bad(`per_page: an integer from 1 to ${max}`);
  return Number(text);
}
