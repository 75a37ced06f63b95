import { AppError } from "../errors";

// The query string of Sentry's org sessions endpoint (src/sentry/snuba/sessions_v2.py and the
// metrics-backed release health it moved to), checked here so the reading side trusts it.

const SESSION_FIELDS = [
  "sum(session)",
  "count_unique(user)",
  "crash_free_rate(session)",
  "crash_free_rate(user)",
  "crash_rate(session)",
  "crash_rate(user)",
] as const;
const SESSION_GROUP_BY = ["project", "release", "environment", "session.status"] as const;
export type SessionField = (typeof SESSION_FIELDS)[number];
export type SessionGroupBy = (typeof SESSION_GROUP_BY)[number];

export type SessionsQuery = {
  fields: SessionField[];
  groupBy: SessionGroupBy[];
  /** inclusive, a multiple of the interval */
  start: Date;
  /** exclusive, a multiple of the interval */
  end: Date;
  /** seconds: a whole number of hours dividing a day (sessions are stored per hour) */
  interval: number;
  /** undefined: every project of the org */
  projectIds?: number[];
  environments?: string[];
  releases?: string[];
  /** the query string as sent, echoed in the answer as Sentry does */
  query: string;
};

const HOUR = 3600;
const DAY = 86_400;
/** Sentry refuses more points in time than this (MAX_POINTS). */
const MAX_POINTS = 1000;
const UNIT_SECONDS: Record<string, number> = { "": 1, s: 1, m: 60, h: HOUR, d: DAY, w: 7 * DAY };

/** Sentry's parse_stats_period: a number and s|m|h|d|w (none: seconds); null if malformed. */
export function parsePeriod(text: string): number | null {
  const match = /^(\d{1,7})([smhdw]?)$/.exec(text);
  return match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : null;
}

const bad = (message: string) => new AppError("bad_request", message);

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw bad(`${name}: give it once`);
  return values[0];
}

export function parseDate(name: string, text: string): number {
  // An ISO date or date-time; without a zone it is UTC, as Sentry reads it.
  if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,6})?)?)?([zZ]|[+-]\d\d:?\d\d)?$/.test(text)) throw bad(`${name}: not a date: ${text}`);
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(text) || text.length === 10 ? text : `${text}Z`;
  const ms = Date.parse(zoned.replace(" ", "T"));
  if (Number.isNaN(ms)) throw bad(`${name}: not a date: ${text}`);
  return ms;
}

/** The query string, checked: a 400 with a clear message for anything Sentry would refuse. */
export function parseSessionsQuery(params: URLSearchParams, now = Date.now()): SessionsQuery {
  // Postgres text refuses NUL: a 400 here, not a failed statement (a 500) later.
  for (const [name, v] of params) if (v.includes("\0")) throw bad(`${name} may not contain NUL characters`);
  const fields = [...new Set(params.getAll("field"))];
  if (fields.length === 0) throw bad('Request is missing a "field"');
  for (const field of fields) {
    if (!(SESSION_FIELDS as readonly string[]).includes(field))
      throw bad(`Invalid field: "${field}"; use one of ${SESSION_FIELDS.join(", ")}`);
  }
  const groupBy = [...new Set(params.getAll("groupBy"))];
  for (const key of groupBy) {
    if (!(SESSION_GROUP_BY as readonly string[]).includes(key))
      throw bad(`Invalid groupBy: "${key}"; use one of ${SESSION_GROUP_BY.join(", ")}`);
  }
  // A rate is not a count a status can split (Sentry refuses it alike).
  if (groupBy.includes("session.status")) {
    const rate = fields.find((f) => f.includes("rate("));
    if (rate) throw bad(`Cannot group field ${rate} by session.status`);
  }

  const intervalText = single(params, "interval") ?? "1h";
  const interval = parsePeriod(intervalText);
  if (interval === null || interval === 0) throw bad(`interval: like 1h, 6h or 1d, not ${intervalText}`);
  if (interval % HOUR !== 0) throw bad("The interval has to be a multiple of the minimum interval of one hour.");
  if (interval > DAY) throw bad("The interval has to be less than one day.");
  if (DAY % interval !== 0) throw bad("The interval should divide one day without a remainder.");

  const period = single(params, "statsPeriod");
  const startText = single(params, "start");
  const endText = single(params, "end");
  let start: number;
  let end: number;
  if (startText !== undefined || endText !== undefined) {
    if (startText === undefined || endText === undefined) throw bad("start and end go together");
    if (period !== undefined) throw bad("use statsPeriod or start and end, not both");
    start = parseDate("start", startText);
    end = parseDate("end", endText);
    if (end <= start) throw bad("end must be after start");
  } else {
    const seconds = parsePeriod(period ?? "24h");
    if (seconds === null || seconds === 0) throw bad(`statsPeriod: like 24h, 14d or 90d, not ${period}`);
    end = now;
    start = now - seconds * 1000;
  }
  start = Math.min(start, now);
  // Whole intervals, as Sentry's to_intervals: the start's interval through the end's.
  const step = interval * 1000;
  start = Math.floor(start / step) * step;
  end = Math.ceil(end / step) * step;
  if (end === start) end += step;
  if ((end - start) / step > MAX_POINTS)
    throw bad("Your interval and date range would create too many results. Use a larger interval, or a smaller date range.");

  const projects = params.getAll("project").filter((p) => p !== "");
  for (const p of projects) if (!/^-?\d{1,10}$/.test(p)) throw bad(`project: numeric ids only, not ${p}`);
  const ids = projects.map(Number);
  const projectIds = ids.length === 0 || ids.includes(-1) ? undefined : [...new Set(ids)];

  const query = single(params, "query") ?? "";
  const filters = parseFilter(query);
  const environments = params.getAll("environment");
  for (const e of environments) if (e.length > 64) throw bad("environment: at most 64 characters");
  return {
    fields: fields as SessionField[],
    groupBy: groupBy as SessionGroupBy[],
    start: new Date(start),
    end: new Date(end),
    interval,
    projectIds,
    environments: intersect(environments.length ? environments : undefined, filters.environment),
    releases: filters.release,
    query,
  };
}

/** Both filters must hold: their common values ([] matches nothing). */
function intersect(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.filter((v) => b.includes(v));
}

const FILTER_KEYS = ["release", "environment"] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

/**
 * The few filters Sentry users send: `release:X`, `release:"X Y"`, `release:[a, "b"]`,
 * `environment:Y`, terms joined by spaces or AND, and OR between terms of one key
 * (`release:a OR release:b`, what Sentry's release pages send). Anything else is a 400.
 */
function parseFilter(query: string): Partial<Record<FilterKey, string[]>> {
  if (query.length > 2000) throw bad("query: at most 2000 characters");
  const token = /\s*(?:(AND|OR)(?=\s|$)|(!?)([\w.]+):("(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^\s"[\]]+))/y;
  const terms: { key: FilterKey; values: string[]; or: boolean }[] = [];
  let pendingOr = false;
  let at = 0;
  while (at < query.length) {
    if (/^\s*$/.test(query.slice(at))) break;
    token.lastIndex = at;
    const m = token.exec(query);
    if (!m) throw bad(`query: cannot read "${query.slice(at).trim().slice(0, 50)}"; supported: release:X, environment:Y`);
    at = token.lastIndex;
    if (m[1]) {
      if (terms.length === 0) throw bad(`query: ${m[1]} needs a term before it`);
      pendingOr = m[1] === "OR";
      continue;
    }
    const key = m[3]!;
    if (!(FILTER_KEYS as readonly string[]).includes(key)) throw bad(`query: cannot filter on "${key}"; supported: release, environment`);
    if (m[2]) throw bad("query: negated filters are not supported");
    terms.push({ key: key as FilterKey, values: filterValues(m[4]!), or: pendingOr });
    pendingOr = false;
  }
  if (pendingOr) throw bad("query: OR needs a term after it");
  const out: Partial<Record<FilterKey, string[]>> = {};
  for (const [i, term] of terms.entries()) {
    if (term.or && terms[i - 1]!.key !== term.key) throw bad("query: OR only between terms of the same key");
    const known = out[term.key];
    // `a OR b` widens; two terms ANDed narrow to what both allow.
    out[term.key] = !known ? term.values : term.or ? [...new Set([...known, ...term.values])] : known.filter((v) => term.values.includes(v));
  }
  return out;
}

function filterValues(raw: string): string[] {
  const unquote = (v: string) => (v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, "$1") : v);
  const values = raw.startsWith("[")
    ? (raw.slice(1, -1).match(/"(?:[^"\\]|\\.)*"|[^,\s]+/g) ?? []).map(unquote)
    : [unquote(raw)];
  if (values.some((v) => v.length > 200)) throw bad("query: a value is longer than 200 characters");
  if (values.some((v) => v.includes("*"))) throw bad("Invalid condition: wildcard search is not supported");
  return values;
}
