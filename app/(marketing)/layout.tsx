import Link from "next/link";
import type { ReactNode } from "react";
import { currentUser } from "../(auth)/session";
import { primaryButton } from "./_components/buttons";
import { Logo } from "./_components/logo";

const FOOTER_SECTIONS: { title: string; links: [href: string, label: string][] }[] = [
  {
    title: "Product",
    links: [
      ["/pricing", "Pricing"],
      ["/sign-up", "Create an account"],
      ["/sign-in", "Sign in"],
    ],
  },
  {
    title: "Documentation",
    links: [
      ["/docs/quick-start/node", "Quick start"],
      ["/docs/self-hosting", "Self-hosting"],
      ["/docs/protocol", "Ingest protocol"],
      ["/docs/api", "REST API"],
      ["/docs/migrating", "Migrating from Sentry"],
    ],
  },
];

const navLink = "rounded-md px-3 py-2 font-medium text-slate-700 hover:bg-slate-100 hover:text-slate-900";

/** The public site's frame: landing, pricing and docs share this header and footer. */
export default async function MarketingLayout({ children }: { children: ReactNode }) {
  // Someone signed in reading the docs gets a way back to their dashboard, not "Sign in".
  const user = await currentUser();
  return (
    <div className="flex min-h-screen flex-col bg-white">
      <a
        href="#content"
        className="sr-only rounded bg-indigo-700 px-3 py-2 text-white focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
          <Link
            href="/"
            className="flex items-center gap-2 text-lg font-semibold tracking-tight text-slate-900"
          >
            <Logo />
            errorhub
          </Link>
          <nav aria-label="Main">
            <ul className="flex flex-wrap items-center gap-1 text-sm">
              <li>
                <Link href="/pricing" className={navLink}>
                  Pricing
                </Link>
              </li>
              <li>
                <Link href="/docs" className={navLink}>
                  Docs
                </Link>
              </li>
              {user ? (
                <li>
                  <Link href="/" className={primaryButton}>
                    Go to your dashboard
                  </Link>
                </li>
              ) : (
                <>
                  <li>
                    <Link href="/sign-in" className={navLink}>
                      Sign in
                    </Link>
                  </li>
                  <li>
                    <Link href="/sign-up" className={`${primaryButton} ml-1`} data-testid="header-start-free">
                      Start free
                    </Link>
                  </li>
                </>
              )}
            </ul>
          </nav>
        </div>
      </header>
      <div id="content" className="flex-1">
        {children}
      </div>
      <footer className="border-t border-slate-200 bg-slate-50">
        <div className="mx-auto grid max-w-6xl gap-8 px-4 py-10 text-sm sm:grid-cols-3">
          <div className="space-y-2">
            <p className="flex items-center gap-2 font-semibold text-slate-900">
              <Logo className="h-5 w-5" />
              errorhub
            </p>
            <p className="text-slate-600">
              Open-source error tracking for the Sentry SDKs you already use. Hosted, or on your own servers.
            </p>
          </div>
          {FOOTER_SECTIONS.map((section) => (
            <nav key={section.title} aria-label={section.title} className="space-y-2">
              <h2 className="font-semibold text-slate-900">{section.title}</h2>
              <ul className="space-y-1 text-slate-700">
                {section.links.map(([href, label]) => (
                  <li key={href}>
                    <Link href={href} className="hover:underline">
                      {label}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
          ))}
        </div>
      </footer>
    </div>
  );
}
