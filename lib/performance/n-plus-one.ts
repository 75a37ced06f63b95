import { parameterize } from "../events/parameterize";
import { SQL_STRING } from "./span-data";
import type { StoredSpan } from "./types";

// N+1 queries: a loop that runs one query per item where one query for all items would do.
// Sentry's detector (issue_detection/detectors/n_plus_one_db_span_detector.py) looks for the
// same query repeated under one parent; so does this one, per transaction, on its stored spans.

/** Repeats of one query under one parent that make an N+1 (Sentry's default count). */
export const MIN_REPEATS = 5;
/**
 * The repeats together must take this long. Sentry's default is 100 ms and the lowest a
 * project may set is 50 ms; we have no per-project setting, and a database on the same host
 * or network answers in about a millisecond, so 100 ms would hide a loop of 60 such queries:
 * the lower bound flags it while a handful of fast lookups (5 x 2 ms) stays quiet.
 */
export const MIN_TOTAL_MS = 50;
// Two spans of a loop that awaits each query never overlap: the next starts after the previous
// ended, on the same clock. Timestamps travel as float seconds (and were converted from the
// SDK's units on the way), so they may disagree in the last microsecond.
const OVERLAP_TOLERANCE_S = 1e-6;

export type NPlusOne = {
  /** the repeated query as its first span has it (scrubbed as stored) */
  description: string;
  /** the query with its literals as placeholders: with the transaction name, the key */
  shape: string;
  /** the op of the first repeated span ("db", "db.sql.query") */
  op: string;
  parentSpanId: string;
  /** the repeated spans, in the order they ran */
  spanIds: string[];
  /** their durations added up */
  durationMs: number;
};

const NONE: readonly NPlusOne[] = Object.freeze([]);

/**
 * The N+1 queries of a transaction's spans, one per query shape (the longest run of it): db
 * spans that are siblings (the same parent_span_id), with the same query once literals are
 * placeholders (queryShape), at least MIN_REPEATS of them in a row taking MIN_TOTAL_MS together.
 *
 * "In a row" is what tells a loop from a batch: ordered by start, each span starts at or after
 * the one before it ended. Queries sent together (Promise.all, a pool of connections) overlap,
 * and one overlap splits the run: such a batch costs one round trip of latency rather than N, it
 * is not the fix waiting to be made, and Sentry's older detector dropped overlapping spans the
 * same way. Other spans between the repeats (a second query per item, some work) do not split it.
 */
export function detectNPlusOne(spans: readonly StoredSpan[]): readonly NPlusOne[] {
  const byParent = new Map<string, StoredSpan[]>();
  for (const span of spans) {
    if (!span.parent_span_id || !span.description || !isQueryOp(span.op) || isConnect(span.description)) continue;
    const siblings = byParent.get(span.parent_span_id);
    if (siblings) siblings.push(span);
    else byParent.set(span.parent_span_id, [span]);
  }
  let found: Map<string, NPlusOne> | undefined;
  for (const siblings of byParent.values()) {
    // most parents' queries are too few or too fast for any of them to be an N+1: that is
    // told without parameterizing a single query
    if (siblings.length < MIN_REPEATS || totalMs(siblings) < MIN_TOTAL_MS) continue;
    const byShape = new Map<string, StoredSpan[]>();
    for (const span of siblings) {
      const shape = cachedShape(span.description!);
      const same = byShape.get(shape);
      if (same) same.push(span);
      else byShape.set(shape, [span]);
    }
    for (const [shape, same] of byShape) {
      if (same.length < MIN_REPEATS) continue;
      const run = longestRun(same);
      if (run.length < MIN_REPEATS) continue;
      const durationMs = totalMs(run);
      if (durationMs < MIN_TOTAL_MS) continue;
      found ??= new Map();
      const known = found.get(shape);
      if (known && known.spanIds.length >= run.length) continue;
      found.set(shape, {
        description: run[0]!.description!,
        shape,
        op: run[0]!.op!,
        parentSpanId: run[0]!.parent_span_id!,
        spanIds: run.map((span) => span.span_id),
        durationMs,
      });
    }
  }
  return found ? [...found.values()] : NONE;
}

const totalMs = (spans: StoredSpan[]) => spans.reduce((sum, span) => sum + (span.timestamp - span.start_timestamp) * 1000, 0);

/** The longest run of spans that ran one after another (the earliest of equal length). */
function longestRun(spans: StoredSpan[]): StoredSpan[] {
  const ordered = [...spans].sort((a, b) => a.start_timestamp - b.start_timestamp || a.timestamp - b.timestamp);
  let best: StoredSpan[] = [];
  let run: StoredSpan[] = [];
  for (const span of ordered) {
    const previous = run.at(-1);
    if (previous && span.start_timestamp < previous.timestamp - OVERLAP_TOLERANCE_S) {
      if (run.length > best.length) best = run;
      run = [];
    }
    run.push(span);
  }
  return run.length > best.length ? run : best;
}

// Sentry leaves out caches (Redis is meant to be asked often) and connection spans, which
// repeat with any pool however the queries are written.
function isQueryOp(op: string | undefined): boolean {
  return (op === "db" || op?.startsWith("db.") === true) && !op.startsWith("db.redis") && !op.startsWith("db.connection");
}

const isConnect = (description: string) => description.startsWith("pg-pool.connect") || description.startsWith("pg.connect");

// An app runs the same few hundred queries again and again: their shapes are kept, within a
// bound of characters, so hostile descriptions cannot make it grow (cleared when full).
const SHAPE_CACHE_CHARS = 1_000_000;
const shapes = new Map<string, string>();
let cachedChars = 0;

function cachedShape(query: string): string {
  let shape = shapes.get(query);
  if (shape === undefined) {
    shape = queryShape(query);
    if (cachedChars + query.length + shape.length > SHAPE_CACHE_CHARS) {
      shapes.clear();
      cachedChars = 0;
    }
    shapes.set(query, shape);
    cachedChars += query.length + shape.length;
  }
  return shape;
}

const SPACES = /\s+/g;
const ODD_SPACE = /\s\s|[^\S ]/;

/**
 * A query with its literals as placeholders, so one loop's queries compare equal whatever
 * values they carry: strings, then numbers, UUIDs, hex, dates (parameterize, as error messages
 * group), then lists of values after IN, whatever their length; runs of whitespace as one space.
 */
export function queryShape(query: string): string {
  // Most queries have placeholders for values ($1, ?): what is not in them is not looked for.
  const literals = parameterize(query.includes("'") ? query.replace(SQL_STRING, "'?'") : query);
  const lists = literals.includes("(") ? collapseInLists(literals) : literals;
  return (ODD_SPACE.test(lists) ? lists.replace(SPACES, " ") : lists).trim();
}

const IN_OPEN = /\bIN\s*\(/gi;
// one value of a list: a literal or placeholder once strings and numbers are (`<int>`,
// `$<int>`, `?`, `:id`, `'?'`); a subquery has spaces or parentheses
const LIST_VALUE = /^\s*[^\s(),]+\s*$/;

/**
 * `IN (<int>, <int>, <int>)` as `IN (...)`, whatever the list's length. A scan rather than one
 * regex over the list, which backtracks quadratically on a list that never closes: the next
 * parentheses are looked up once each, as the matches move forward.
 */
function collapseInLists(text: string): string {
  let out = "";
  let copied = 0;
  let close = -1;
  let nested = -1;
  for (const match of text.matchAll(IN_OPEN)) {
    const open = match.index + match[0].length;
    if (close < open) close = text.indexOf(")", open);
    if (close === -1) break;
    if (nested < open) {
      const at = text.indexOf("(", open);
      nested = at === -1 ? text.length : at;
    }
    if (nested < close) continue;
    if (!text.slice(open, close).split(",").every((value) => LIST_VALUE.test(value))) continue;
    out += `${text.slice(copied, match.index)}IN (...)`;
    copied = close + 1;
  }
  return out + text.slice(copied);
}
