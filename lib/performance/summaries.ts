import type { Viewer } from "../auth/viewer";
import { AppError } from "../errors";
import type { TransactionGroupSort, TransactionGroupSummary } from "./types";

// The transactions list (issue #22): per-group figures merged at read time from the hourly or
// daily TransactionStat rows the worker writes, never from raw transactions.

export type TransactionGroupQuery = {
  /** null: all the org's projects */
  projectIds: number[] | null;
  environment: string | null;
  release: string | null;
  /** from statsPeriod (default 24h) or start&end, rounded out to whole buckets */
  start: Date;
  end: Date;
  /** free text: a substring of the transaction name */
  query: string | null;
  /** default "-count" (Sentry's performance landing sorts by tpm, i.e. count over one period) */
  sort: TransactionGroupSort;
  cursor: string | null;
  perPage: number;
};

export type TransactionGroupListItem = TransactionGroupSummary & { series: number[] };

export type TransactionGroupSeriesPoint = {
  /** ISO 8601 start of the hour or day */
  bucket: string;
  count: number;
  avgDuration: number | null;
  p50: number | null;
  p95: number | null;
  failureRate: number;
};

export type TransactionGroupRef = { projectId: number; transaction: string; op: string | null; method: string | null };

/** The list's query string, checked: bad input is an AppError 400. */
export function parseTransactionGroupQuery(_params: URLSearchParams): TransactionGroupQuery {
  throw new AppError("bad_request", "not implemented yet");
}

/** One page of the viewer's org's transaction groups with their figures and sparkline counts. */
export async function listTransactionGroups(
  _viewer: Viewer,
  _query: TransactionGroupQuery,
): Promise<{ groups: TransactionGroupListItem[]; nextCursor: string | null; prevCursor: string | null }> {
  throw new AppError("bad_request", "not implemented yet");
}

/** One group's figures and its chart per hour (or day); null when the viewer's org has no such group. */
export async function transactionGroupDetail(
  _viewer: Viewer,
  _ref: TransactionGroupRef,
  _filter: Pick<TransactionGroupQuery, "environment" | "release" | "start" | "end">,
): Promise<{ summary: TransactionGroupSummary; series: TransactionGroupSeriesPoint[] } | null> {
  throw new AppError("bad_request", "not implemented yet");
}
