import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { membershipBySlug } from "@/lib/auth/viewer";
import { orgsOfUser } from "@/lib/orgs";
import { requireUser } from "../(auth)/session";
import { SignOut } from "../(auth)/sign-out";

const link = "rounded px-2 py-1 hover:bg-slate-100";

/** Every org page's frame: the org switcher, the sections, and who is signed in. */
export default async function OrgLayout({ children, params }: { children: ReactNode; params: Promise<{ org: string }> }) {
  const { org: slug } = await params;
  const user = await requireUser();
  const [membership, orgs] = await Promise.all([membershipBySlug(user.id, slug), orgsOfUser(user.id)]);
  if (!membership) notFound();
  const { org } = membership;
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2 px-4 py-2">
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <details className="relative">
              <summary className="cursor-pointer list-none rounded px-2 py-1 font-semibold hover:bg-slate-100" data-testid="org-switcher">
                {org.name} ▾
              </summary>
              <ul className="absolute z-10 mt-1 min-w-48 rounded-md border border-slate-200 bg-white py-1 shadow">
                {orgs.map((m) => (
                  <li key={m.org.id}>
                    <Link href={`/${m.org.slug}`} className="block px-3 py-1 hover:bg-slate-100">
                      {m.org.name}
                    </Link>
                  </li>
                ))}
                <li className="border-t border-slate-200">
                  <Link href="/organizations/new" className="block px-3 py-1 text-indigo-700 hover:bg-slate-100">
                    New organization
                  </Link>
                </li>
              </ul>
            </details>
            <nav className="flex flex-wrap gap-1 text-slate-700" aria-label="Sections">
              <Link href={`/${org.slug}`} className={link}>
                Projects
              </Link>
              <Link href={`/${org.slug}/issues`} className={link}>
                Issues
              </Link>
              <Link href={`/${org.slug}/performance`} className={link}>
                Performance
              </Link>
              <Link href={`/${org.slug}/releases`} className={link}>
                Releases
              </Link>
              <Link href={`/${org.slug}/feedback`} className={link}>
                Feedback
              </Link>
              <Link href={`/${org.slug}/crons`} className={link}>
                Crons
              </Link>
              <Link href={`/${org.slug}/settings/general`} className={link}>
                Settings
              </Link>
              <Link href={`/${org.slug}/settings/members`} className={link}>
                Members
              </Link>
              <Link href={`/${org.slug}/settings/tokens`} className={link}>
                API tokens
              </Link>
              <Link href={`/${org.slug}/settings/notifications`} className={link}>
                Notifications
              </Link>
              <Link href={`/${org.slug}/settings/audit`} className={link}>
                Audit log
              </Link>
              <Link href={`/${org.slug}/settings/billing`} className={link}>
                Usage &amp; billing
              </Link>
            </nav>
          </div>
          <SignOut email={user.email} />
        </div>
      </header>
      {children}
    </div>
  );
}
