import { AppError } from "./errors";

/**
 * Cursor paging in Sentry's shape: a cursor is `value:key:isPrev` (Sentry's is
 * `value:offset:isPrev`), and every page knows a previous and a next cursor and whether either
 * has results. Two kinds:
 * - keyset (`value` = the sort key, `key` = the row id): stable when rows are added, no
 *   OFFSET scans; the order is always (sort key desc, id desc).
 * - offset (`value` = 0, `key` = the offset): for small lists such as an issue's tag values.
 */
export type Cursor = { value: bigint; key: bigint; prev: boolean };
export type PageLink = { cursor: string; results: boolean };
export type PageLinks = { previous: PageLink; next: PageLink };

const CURSOR = /^(-?\d{1,19}):(\d{1,19}):([01])$/;

/** Parses a cursor from the client; undefined for none, 400 for a malformed one. */
export function parseCursor(text: string | null | undefined): Cursor | undefined {
  if (text === null || text === undefined || text === "") return undefined;
  const match = CURSOR.exec(text);
  if (!match) throw new AppError("bad_request", `Invalid cursor "${text}"`);
  return { value: BigInt(match[1]!), key: BigInt(match[2]!), prev: match[3] === "1" };
}

export const formatCursor = (c: Cursor) => `${c.value}:${c.key}:${c.prev ? 1 : 0}`;

/**
 * The page from rows fetched for a keyset cursor: `limit + 1` rows past the cursor, in the
 * list's order (sort key desc, id desc) for a next cursor or none, in the reverse order for a
 * previous cursor. `keyOf` gives a row's sort key and id.
 */
export function keysetPage<T>(
  rows: T[],
  limit: number,
  cursor: Cursor | undefined,
  keyOf: (row: T) => { value: bigint; key: bigint },
): { items: T[]; links: PageLinks } {
  const more = rows.length > limit;
  const fetched = rows.slice(0, limit);
  const items = cursor?.prev ? fetched.reverse() : fetched;
  const first = items[0];
  const last = items.at(-1);
  const at = (row: T | undefined, prev: boolean): string =>
    row ? formatCursor({ ...keyOf(row), prev }) : cursor ? formatCursor({ ...cursor, prev }) : `0:0:${prev ? 1 : 0}`;
  return {
    items,
    links: {
      // Going back from a previous cursor, `more` says whether still earlier rows exist; going
      // forward, there is a previous page whenever we came from a cursor.
      previous: { cursor: at(first, true), results: cursor?.prev ? more : cursor !== undefined && first !== undefined },
      next: { cursor: at(last, false), results: cursor?.prev ? last !== undefined : more },
    },
  };
}

/** The page for an offset cursor, from `limit + 1` rows fetched at `offset`. */
export function offsetPage<T>(rows: T[], limit: number, offset: number): { items: T[]; links: PageLinks } {
  return {
    items: rows.slice(0, limit),
    links: {
      previous: { cursor: `0:${Math.max(offset - limit, 0)}:1`, results: offset > 0 },
      next: { cursor: `0:${offset + limit}:0`, results: rows.length > limit },
    },
  };
}

/** The offset of an offset cursor (0 without one); keyset cursors' keys are offsets here. */
export function offsetOf(cursor: Cursor | undefined): number {
  if (!cursor) return 0;
  const offset = Number(cursor.key);
  if (!Number.isSafeInteger(offset) || offset > 1_000_000) throw new AppError("bad_request", "Invalid cursor");
  return offset;
}
