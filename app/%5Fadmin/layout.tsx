import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { SignOut } from "../(auth)/sign-out";
import { AutoRefresh } from "./auto-refresh";
import { requireOperator } from "./guard";

export const metadata: Metadata = { title: { default: "Operator console", template: "%s · Operator console" }, robots: "noindex" };
export const dynamic = "force-dynamic";

const link = "rounded px-2 py-1 hover:bg-slate-100";
const SECTIONS: [string, string][] = [
  ["/_admin", "Overview"],
  ["/_admin/queues", "Queues"],
  ["/_admin/streams", "Streams"],
  ["/_admin/processes", "Processes"],
  ["/_admin/dead-letters", "Dead letters"],
  ["/_admin/storage", "Storage"],
];

/** The install's operator console (the Sidekiq Web UI of this product): superusers only. */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requireOperator();
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2 px-4 py-2">
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <span className="rounded bg-slate-800 px-2 py-1 font-semibold text-white">Operator</span>
            <nav className="flex flex-wrap gap-1 text-slate-700" aria-label="Console sections">
              {SECTIONS.map(([href, label]) => (
                <Link key={href} href={href} className={link}>
                  {label}
                </Link>
              ))}
              <Link href="/" className={`${link} text-indigo-700`}>
                Dashboard
              </Link>
            </nav>
          </div>
          <div className="flex items-center gap-3">
            <AutoRefresh />
            <SignOut email={user.email} />
          </div>
        </div>
      </header>
      {children}
    </div>
  );
}
