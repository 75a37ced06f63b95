import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { orgForMember } from "@/lib/orgs";
import { listProjectsWithDsns } from "@/lib/projects";
import { requireUser } from "../(auth)/session";
import { signOut } from "../(auth)/sign-in/actions";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ org: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: (await params).org };
}

export default async function OrgHome({ params }: Props) {
  const user = await requireUser();
  const org = await orgForMember(user.id, (await params).org);
  if (!org) notFound();
  const projects = await listProjectsWithDsns(org.id);
  return (
    <div className="mx-auto max-w-4xl p-6">
      <header className="mb-8 flex items-center justify-between">
        <div>
          <h1 className="text-2xl font-semibold">{org.name}</h1>
          <nav className="mt-1 flex gap-4 text-sm text-indigo-700">
            <Link href={`/${org.slug}/settings/general`}>Settings</Link>
            <Link href={`/${org.slug}/settings/members`}>Members</Link>
            <Link href={`/${org.slug}/settings/tokens`}>API tokens</Link>
            <Link href={`/${org.slug}/settings/audit`}>Audit log</Link>
            <Link href="/organizations/new">New organization</Link>
          </nav>
        </div>
        <form action={signOut} className="flex items-center gap-3 text-sm text-slate-600">
          <span>{user.email}</span>
          <button type="submit" className="rounded border border-slate-300 px-3 py-1 hover:bg-slate-100">
            Sign out
          </button>
        </form>
      </header>
      <h2 className="mb-3 text-lg font-medium">Projects</h2>
      {projects.length === 0 ? (
        <p className="text-slate-600">No projects yet.</p>
      ) : (
        <ul className="space-y-3">
          {projects.map((p) => (
            <li key={p.id} className="rounded-lg border border-slate-200 bg-white p-4">
              <div className="flex items-baseline justify-between">
                <span className="font-medium">{p.name}</span>
                <span className="text-sm text-slate-500">{p.platform}</span>
              </div>
              {p.dsns.map((dsn) => (
                <code key={dsn} className="mt-2 block break-all rounded bg-slate-100 px-2 py-1 text-sm" data-testid="dsn">
                  {dsn}
                </code>
              ))}
              <p className="mt-2 text-sm text-slate-500">
                {p.firstEventAt ? `First event ${p.firstEventAt.toISOString()}` : "Waiting for the first event."}
              </p>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
