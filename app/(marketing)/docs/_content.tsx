import type { ReactNode } from "react";

/** The guides, in the order the table of contents lists them. */
export const DOC_PAGES = [
  { href: "/docs", title: "Overview", summary: "" },
  {
    href: "/docs/self-hosting",
    title: "Self-hosting",
    summary: "Two commands, every setting, and running it in production.",
  },
  {
    href: "/docs/protocol",
    title: "Ingest protocol",
    summary: "What SDKs can send: endpoints, item types, limits and answers.",
  },
  {
    href: "/docs/api",
    title: "REST API",
    summary: "Tokens and scopes, routes, paging and the issue search language.",
  },
  {
    href: "/docs/migrating",
    title: "Migrating from Sentry or GlitchTip",
    summary: "Change the DSN; copy projects and keys with one command.",
  },
] as const;

// Typography for the docs' articles, from Tailwind utilities (no plugin): headings, paragraphs,
// lists, tables and links inside an article look like prose.
export const PROSE = [
  "min-w-0 max-w-3xl text-slate-700",
  "[&_h1]:text-3xl [&_h1]:font-bold [&_h1]:tracking-tight [&_h1]:text-slate-900",
  "[&_h2]:mt-12 [&_h2]:scroll-mt-6 [&_h2]:text-2xl [&_h2]:font-bold [&_h2]:tracking-tight [&_h2]:text-slate-900",
  "[&_h3]:mt-8 [&_h3]:text-lg [&_h3]:font-semibold [&_h3]:text-slate-900",
  "[&_p]:mt-4 [&_p]:leading-7",
  "[&_ul]:mt-4 [&_ul]:list-disc [&_ul]:space-y-1 [&_ul]:pl-6",
  "[&_ol]:mt-4 [&_ol]:list-decimal [&_ol]:space-y-2 [&_ol]:pl-6",
  "[&_figure]:mt-4",
  "[&_p_a]:font-medium [&_p_a]:text-indigo-700 [&_p_a]:underline [&_li_a]:font-medium [&_li_a]:text-indigo-700 [&_li_a]:underline [&_td_a]:text-indigo-700 [&_td_a]:underline",
].join(" ");

/** A table that scrolls sideways on small screens, reachable by keyboard when it does. */
export function Table({
  label,
  head,
  rows,
  testId,
}: {
  label: string;
  head: string[];
  rows: ReactNode[][];
  testId?: string;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="mt-4 overflow-x-auto" aria-label={label} tabIndex={0} data-testid={testId}>
      <table className="w-full border-collapse text-left text-sm">
        <thead>
          <tr className="border-b-2 border-slate-300 text-slate-900">
            {head.map((h) => (
              <th key={h} scope="col" className="py-2 pr-4 font-semibold">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((cells, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: static rows, never reordered
            <tr key={i} className="border-b border-slate-200 align-top">
              {cells.map((cell, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: static cells, never reordered
                <td key={j} className="py-2 pr-4">
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
