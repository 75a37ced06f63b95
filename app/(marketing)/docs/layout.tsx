import Link from "next/link";
import type { ReactNode } from "react";
import { listPlatforms } from "@/lib/projects/platforms";
import { DOC_PAGES } from "./_content";

const item = "block rounded px-2 py-1 text-slate-700 hover:bg-slate-100 hover:text-slate-900";

/** The docs' frame: a table of contents beside the article. */
export default function DocsLayout({ children }: { children: ReactNode }) {
  return (
    <div className="mx-auto flex max-w-6xl flex-col gap-8 px-4 py-10 md:flex-row">
      <nav aria-label="Documentation pages" className="shrink-0 text-sm md:w-56">
        <ul className="space-y-1">
          {DOC_PAGES.slice(0, 1).map((p) => (
            <li key={p.href}>
              <Link href={p.href} className={item}>
                {p.title}
              </Link>
            </li>
          ))}
          <li>
            <p className="px-2 pt-3 pb-1 text-xs font-semibold uppercase tracking-wide text-slate-600">
              Quick start
            </p>
            <ul className="space-y-1">
              {listPlatforms().map((p) => (
                <li key={p.id}>
                  <Link href={`/docs/quick-start/${p.id}`} className={item}>
                    {p.name}
                  </Link>
                </li>
              ))}
            </ul>
          </li>
          <li>
            <p className="px-2 pt-3 pb-1 text-xs font-semibold uppercase tracking-wide text-slate-600">
              Guides
            </p>
            <ul className="space-y-1">
              {DOC_PAGES.slice(1).map((p) => (
                <li key={p.href}>
                  <Link href={p.href} className={item}>
                    {p.title}
                  </Link>
                </li>
              ))}
            </ul>
          </li>
        </ul>
      </nav>
      <main className="min-w-0 flex-1">{children}</main>
    </div>
  );
}
