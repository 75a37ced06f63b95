import Link from "next/link";
import type { ReactNode } from "react";
import { currentUser } from "../(auth)/session";
import { primaryButton } from "./_components/buttons";
import { Logo } from "./_components/logo";

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
          <nav aria-label="Product" className="space-y-2">
            <h2 className="font-semibold text-slate-900">Product</h2>
            <ul className="space-y-1 text-slate-700">
              <li>
                <Link href="/pricing" className="hover:underline">
                  Pricing
                </Link>
              </li>
              <li>
                <Link href="/sign-up" className="hover:underline">
                  Create an account
                </Link>
              </li>
              <li>
                <Link href="/sign-in" className="hover:underline">
                  Sign in
                </Link>
              </li>
            </ul>
          </nav>
          <nav aria-label="Documentation" className="space-y-2">
            <h2 className="font-semibold text-slate-900">Documentation</h2>
            <ul className="space-y-1 text-slate-700">
              <li>
                <Link href="/docs/quick-start/node" className="hover:underline">
                  Quick start
                </Link>
              </li>
              <li>
                <Link href="/docs/self-hosting" className="hover:underline">
                  Self-hosting
                </Link>
              </li>
              <li>
                <Link href="/docs/protocol" className="hover:underline">
                  Ingest protocol
                </Link>
              </li>
              <li>
                <Link href="/docs/api" className="hover:underline">
                  REST API
                </Link>
              </li>
              <li>
                <Link href="/docs/migrating" className="hover:underline">
                  Migrating from Sentry
                </Link>
              </li>
            </ul>
          </nav>
        </div>
      </footer>
    </div>
  );
}
