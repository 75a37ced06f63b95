import { AppError } from "../errors";
import { parseCursor } from "../pagination";
import { statsPeriod } from "./summary-period";
import { assertNoNul, perPageParam, singleParam, textParam, timeRangeParams } from "./query-params";
import type { TransactionGroupSort } from "./types";

// The query string of GET /api/0/organizations/{org}/transaction-groups/ and the dashboard's
// transactions list, checked here so that the reading side trusts it.

export type TransactionGroupQuery = {
  /** null: all the org's projects */
  projectIds: number[] | null;
  /** projects named by slug in `project=` (the dashboard's links); null or absent: none */
  projectSlugs?: string[] | null;
  environment: string | null;
  release: string | null;
  /** from statsPeriod (default 24h) or start&end; the list rounds them out to whole buckets */
  start: Date;
  end: Date;
  /** free text: a substring of the transaction name (case-insensitive) */
  query: string | null;
  /** default "-count": Sentry's performance landing page lists the busiest transactions first */
  sort: TransactionGroupSort;
  cursor: string | null;
  perPage: number;
};

export const TRANSACTION_GROUP_SORTS: readonly TransactionGroupSort[] = [
  "-count",
  "-throughput",
  "-p95",
  "-failureRate",
];
export const DEFAULT_GROUPS_PER_PAGE = 50;
/** The largest project id (an int column); a larger one is no project. */
export const MAX_ID = 2_147_483_647;
export const MAX_GROUPS_PER_PAGE = 100;

/** Sentry refuses more points in time than this (MAX_POINTS); a long period is read per day. */
const MAX_BUCKETS = 1000;

const bad = (message: string) => new AppError("bad_request", message);
const SLUG = /^[a-z0-9][a-z0-9_-]{0,99}$/i;

/** The list's query string, checked: bad input is an AppError 400. */
export function parseTransactionGroupQuery(params: URLSearchParams, now = Date.now()): TransactionGroupQuery {
  assertNoNul(params);
  const sort = singleParam(params, "sort") || "-count";
  if (!(TRANSACTION_GROUP_SORTS as readonly string[]).includes(sort))
    throw bad(`sort: one of ${TRANSACTION_GROUP_SORTS.join(", ")}, not ${sort}`);
  const cursor = singleParam(params, "cursor") || null;
  // a malformed cursor is a 400 before any query
  parseCursor(cursor);
  const range = timeRangeParams(params, "24h", now);
  const period = statsPeriod(range.start, range.end, now);
  if ((period.end.getTime() - period.start.getTime()) / period.step > MAX_BUCKETS)
    throw bad(`The period is too long: at most ${MAX_BUCKETS} days`);
  return {
    ...projectParams(params),
    environment: textParam(params, "environment", 64),
    release: textParam(params, "release", 200),
    ...range,
    query: textParam(params, "query", 200),
    sort: sort as TransactionGroupSort,
    cursor,
    perPage: perPageParam(params, DEFAULT_GROUPS_PER_PAGE, MAX_GROUPS_PER_PAGE),
  };
}

/**
 * `project=`, repeatable: numeric ids as Sentry sends them, or slugs as people type them;
 * none or -1 means every project. Whether they are the org's is checked when listing.
 */
function projectParams(params: URLSearchParams): {
  projectIds: number[] | null;
  projectSlugs: string[] | null;
} {
  const values = params.getAll("project").filter((p) => p !== "");
  if (values.length > 100) throw bad("project: at most 100 projects");
  if (values.length === 0 || values.includes("-1")) return { projectIds: null, projectSlugs: null };
  const ids: number[] = [];
  const slugs: string[] = [];
  for (const value of values) {
    if (/^\d{1,19}$/.test(value)) ids.push(Number(value));
    else if (SLUG.test(value)) slugs.push(value);
    else throw bad(`project: a project id or slug, not ${value.slice(0, 100)}`);
  }
  return { projectIds: [...new Set(ids)], projectSlugs: slugs.length > 0 ? [...new Set(slugs)] : null };
}
