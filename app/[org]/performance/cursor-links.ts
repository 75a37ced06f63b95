import type { PageLinks } from "@/lib/pagination";

/** The performance lists' cursors (null when there is no such page) as the shared Pager's links. */
export const cursorLinks = (page: { nextCursor: string | null; prevCursor: string | null }): PageLinks => ({
  previous: { cursor: page.prevCursor ?? "", results: page.prevCursor !== null },
  next: { cursor: page.nextCursor ?? "", results: page.nextCursor !== null },
});
