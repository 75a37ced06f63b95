import Link from "next/link";
import type { PageLinks } from "@/lib/pagination";
import { BUTTON } from "../[org]/issues/operation-button";

/** Previous / Next links of a paged list, each shown only when that page has results. */
export function Pager({ links, href }: { links: PageLinks; href: (cursor: string) => string }) {
  return (
    <nav className="flex justify-end gap-2" aria-label="Pages">
      {links.previous.results ? (
        <Link href={href(links.previous.cursor)} className={BUTTON}>
          ← Previous
        </Link>
      ) : null}
      {links.next.results ? (
        <Link href={href(links.next.cursor)} className={BUTTON}>
          Next →
        </Link>
      ) : null}
    </nav>
  );
}
