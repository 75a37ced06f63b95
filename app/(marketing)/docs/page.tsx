import type { Metadata } from "next";
import Link from "next/link";
import { listPlatforms } from "@/lib/projects/platforms";
import { DOC_PAGES, PROSE } from "./_content";

export const metadata: Metadata = {
  title: "Docs",
  description: "Set up errorhub with your Sentry SDK, host it yourself, and use its API.",
};

export default function DocsIndex() {
  return (
    <article className={PROSE}>
      <h1>errorhub documentation</h1>
      <p>
        errorhub receives errors from the official Sentry SDKs, groups them into issues and shows them to your
        team. Pick your SDK to send a first error in a few minutes, or read how to run errorhub yourself.
      </p>
      <h2>Quick start</h2>
      <p>Create a project, paste its DSN into the SDK's setup, send an error:</p>
      <ul className="list-none! pl-0! grid grid-cols-2 gap-2 sm:grid-cols-3">
        {listPlatforms().map((p) => (
          <li key={p.id}>
            <Link
              href={`/docs/quick-start/${p.id}`}
              className="block rounded-lg border border-slate-200 px-3 py-2 font-medium! text-slate-900! no-underline! hover:border-indigo-600"
            >
              {p.name}
            </Link>
          </li>
        ))}
      </ul>
      <h2>Guides</h2>
      <ul>
        {DOC_PAGES.slice(1).map((p) => (
          <li key={p.href}>
            <Link href={p.href}>{p.title}</Link>: {p.summary}
          </li>
        ))}
      </ul>
    </article>
  );
}
