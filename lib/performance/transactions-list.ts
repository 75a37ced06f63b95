import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { type Db, dbRead } from "../db";
import { AppError } from "../errors";
import { eventsKeptSince, keptEvents } from "../events/kept-since";
import { Prisma } from "../generated/prisma/client.ts";
import { type Cursor, type PageLinks, keysetPage, parseCursor } from "../pagination";
import { statusOrUnknown, undashed } from "./ids";
import {
  assertNoNul,
  perPageParam,
  projectIdsParam,
  singleParam,
  textParam,
  timeRangeParams,
} from "./query-params";
import type { TransactionSample } from "./types";

export type TransactionListQuery = {
  /** null: every project of the viewer's org */
  projectIds: number[] | null;
  transaction: string;
  /** null: any op (any method); "" only the groups without one */
  op: string | null;
  method: string | null;
  environment: string | null;
  release: string | null;
  start: Date;
  end: Date;
  /** slowest first, or newest first */
  sort: "-duration" | "-timestamp";
  cursor: string | null;
  perPage: number;
};

export type TransactionListRow = TransactionSample & { project: { id: string; slug: string } };

const SORTS = ["-duration", "-timestamp"] as const;
const DEFAULT_PER_PAGE = 50;
const MAX_PER_PAGE = 100;
const MAX_INT = 2_147_483_647;

/** The list's query string, checked: a 400 for anything malformed; `transaction` is required. */
export function parseTransactionListQuery(params: URLSearchParams, now = Date.now()): TransactionListQuery {
  assertNoNul(params);
  const transaction = textParam(params, "transaction", 200);
  if (transaction === null)
    throw new AppError("bad_request", "transaction: the transaction name is required");
  const sort = singleParam(params, "sort") ?? "-timestamp";
  if (!(SORTS as readonly string[]).includes(sort))
    throw new AppError("bad_request", `sort: one of ${SORTS.join(", ")}, not ${sort}`);
  const cursor = singleParam(params, "cursor") || null;
  // checked here so that a bad cursor is a 400 before any query
  parseCursor(cursor);
  return {
    projectIds: projectIdsParam(params),
    transaction,
    op: exactParam(params, "op", 200),
    method: exactParam(params, "method", 16),
    environment: textParam(params, "environment", 64),
    release: textParam(params, "release", 200),
    ...timeRangeParams(params, "24h", now),
    sort: sort as TransactionListQuery["sort"],
    cursor,
    perPage: perPageParam(params, DEFAULT_PER_PAGE, MAX_PER_PAGE),
  };
}

/** Absent: any (null); given, even empty: exactly that (groups without an op or method have ""). */
function exactParam(params: URLSearchParams, name: string, max: number): string | null {
  const value = singleParam(params, name);
  if (value !== undefined && value.length > max)
    throw new AppError("bad_request", `${name}: at most ${max} characters`);
  return value ?? null;
}

type Group = { id: bigint; project_id: number; slug: string };
type Row = {
  id: bigint;
  event_id: string;
  name: string;
  duration_ms: number;
  timestamp: Date;
  trace_id: string | null;
  status: string;
  group_id: bigint;
};

/**
 * One page of a transaction name's recent (`-timestamp`) or slowest (`-duration`) transactions
 * in the viewer's org, keyset-paged. The name's groups (one per project, op and method) are
 * found first; then each group's rows come from its (group_id, timestamp) or
 * (group_id, duration_ms) index, at most one page per group, merged. An id in `projectIds`
 * that is not one of the org's projects is not found.
 */
export async function listTransactions(
  viewer: Viewer,
  query: TransactionListQuery,
): Promise<{
  transactions: TransactionListRow[];
  nextCursor: string | null;
  prevCursor: string | null;
  links: PageLinks;
}> {
  assertCan(viewer.role, "performance:read");
  const cursor = parseCursor(query.cursor);
  const perPage = Math.min(Math.max(Math.trunc(query.perPage), 1), MAX_PER_PAGE);
  const read = await dbRead(viewer);
  const groups = await groupsOfName(read, viewer, query);
  const byDuration = query.sort === "-duration";
  const kept = keptEvents(await eventsKeptSince(viewer, read), "t");
  const rows = groups.length === 0 ? [] : await pageOfGroups(read, groups, query, cursor, perPage, byDuration, kept);
  const { items, links } = keysetPage(rows, perPage, cursor, (r) => ({
    value: byDuration ? durationKey(r.duration_ms) : BigInt(r.timestamp.getTime()),
    key: r.id,
  }));
  const projectOf = new Map(groups.map((g) => [g.id, { id: String(g.project_id), slug: g.slug }]));
  return {
    transactions: items.map((r) => ({
      eventID: r.event_id,
      transaction: r.name,
      duration: r.duration_ms,
      timestamp: r.timestamp.toISOString(),
      traceId: undashed(r.trace_id),
      status: statusOrUnknown(r.status),
      project: projectOf.get(r.group_id)!,
    })),
    nextCursor: links.next.results ? links.next.cursor : null,
    prevCursor: links.previous.results ? links.previous.cursor : null,
    links,
  };
}

/** The groups of the name in the viewer's org (in the given projects, of the op and method). */
async function groupsOfName(read: Db, viewer: Viewer, query: TransactionListQuery): Promise<Group[]> {
  const ids = query.projectIds;
  if (ids) {
    const valid = ids.filter((id) => Number.isInteger(id) && id > 0 && id <= MAX_INT);
    const found = await read.project.count({ where: { orgId: viewer.orgId, id: { in: valid } } });
    if (found !== ids.length) throw new AppError("not_found", "no such project");
  }
  const conditions = [Prisma.sql`p.org_id = ${viewer.orgId}`, Prisma.sql`g.name = ${query.transaction}`];
  if (ids) conditions.push(Prisma.sql`g.project_id = any(${ids}::int[])`);
  if (query.op !== null) conditions.push(Prisma.sql`g.op = ${query.op}`);
  if (query.method !== null) conditions.push(Prisma.sql`g.method = ${query.method}`);
  return read.$queryRaw<Group[]>`
    select g.id, g.project_id, p.slug from transaction_groups g join projects p on p.id = g.project_id
    where ${Prisma.join(conditions, " and ")}`;
}

// Up to this many groups, each gets a branch of its own with its id as a value, so the planner
// estimates its rows and picks its index order; a lateral join over more would plan every
// group with a generic estimate and sort a busy group's whole period.
const MAX_GROUP_BRANCHES = 20;

/**
 * `perPage + 1` rows past the cursor, in the list's order (the reverse for a previous cursor):
 * at most one page per group, from its (group_id, timestamp|duration_ms) index, merged.
 */
async function pageOfGroups(
  read: Db,
  groups: Group[],
  query: TransactionListQuery,
  cursor: Cursor | undefined,
  perPage: number,
  byDuration: boolean,
  kept: Prisma.Sql,
) {
  const column = Prisma.raw(byDuration ? "t.duration_ms" : "t.timestamp");
  const conditions = [
    Prisma.sql`t.project_id = any(${[...new Set(groups.map((g) => g.project_id))]}::int[])`,
    Prisma.sql`t.timestamp >= ${query.start}`,
    Prisma.sql`t.timestamp <= ${query.end}`,
  ];
  if (query.environment !== null) conditions.push(Prisma.sql`t.environment = ${query.environment}`);
  if (query.release !== null) conditions.push(Prisma.sql`t.release = ${query.release}`);
  if (cursor) {
    const at = byDuration
      ? Prisma.sql`${durationOfKey(cursor.value)}::float8`
      : Prisma.sql`${timestampOfKey(cursor.value)}::timestamptz`;
    if (cursor.key > 9_223_372_036_854_775_807n) throw new AppError("bad_request", "Invalid cursor");
    conditions.push(
      Prisma.sql`(${column}, t.id) ${Prisma.raw(cursor.prev ? ">" : "<")} (${at}, ${cursor.key}::bigint)`,
    );
  }
  const direction = Prisma.raw(cursor?.prev ? "asc" : "desc");
  const order = Prisma.sql`${column} ${direction}, t.id ${direction}`;
  const pageOf = (group: Prisma.Sql) => Prisma.sql`
    select t.id, t.event_id, t.name, t.duration_ms, t.timestamp, t.trace_id::text, t.status, t.group_id
    from transactions t
    where t.group_id = ${group} and ${Prisma.join(conditions, " and ")} ${kept}
    order by ${order}
    limit ${perPage + 1}`;
  const pages =
    groups.length <= MAX_GROUP_BRANCHES
      ? Prisma.join(
          groups.map((g) => Prisma.sql`(${pageOf(Prisma.sql`${g.id}::bigint`)})`),
          " union all ",
        )
      : Prisma.sql`select t.* from unnest(${groups.map((g) => g.id)}::bigint[]) g(id)
          cross join lateral (${pageOf(Prisma.sql`g.id`)}) t`;
  return read.$queryRaw<Row[]>`
    select t.* from (${pages}) t
    order by ${order}
    limit ${perPage + 1}`;
}

// A duration cursor holds the double's bits: a non-negative double orders as its bits do, and
// the exact value comes back, so a page never skips or repeats rows of equal rounded durations.
function durationKey(ms: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, ms);
  return view.getBigInt64(0);
}

function durationOfKey(key: bigint): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigInt64(0, BigInt.asIntN(64, key));
  const ms = view.getFloat64(0);
  if (!Number.isFinite(ms) || ms < 0) throw new AppError("bad_request", "Invalid cursor");
  return ms;
}

function timestampOfKey(key: bigint): Date {
  const at = new Date(Number(key));
  const year = at.getUTCFullYear();
  if (Number.isNaN(at.getTime()) || year < 1 || year > 9999)
    throw new AppError("bad_request", "Invalid cursor");
  return at;
}
