import type { Viewer } from "../auth/viewer";
import { AppError } from "../errors";
import type { TransactionSample } from "./types";

export type TransactionListQuery = {
  projectIds: number[] | null;
  transaction: string;
  op: string | null;
  method: string | null;
  environment: string | null;
  release: string | null;
  start: Date;
  end: Date;
  sort: "-duration" | "-timestamp";
  cursor: string | null;
  perPage: number;
};

export type TransactionListRow = TransactionSample & { project: { id: string; slug: string } };

/** The list's query string, checked: a 400 for anything malformed. */
export function parseTransactionListQuery(_params: URLSearchParams): TransactionListQuery {
  throw new AppError("bad_request", "not implemented yet");
}

/** One page of a transaction name's recent or slowest transactions, in the viewer's org. */
export async function listTransactions(
  _viewer: Viewer,
  _query: TransactionListQuery,
): Promise<{ transactions: TransactionListRow[]; nextCursor: string | null; prevCursor: string | null }> {
  throw new AppError("not_found", "not implemented yet");
}
