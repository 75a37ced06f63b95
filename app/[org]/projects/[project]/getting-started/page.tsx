import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AppError } from "@/lib/errors";
import { listIssues } from "@/lib/issues/list";
import { projectDsn } from "@/lib/projects";
import { projectBySlug } from "@/lib/projects/manage";
import { setupFor } from "@/lib/projects/platforms";
import { requireViewer } from "../../../../(auth)/session";
import { LevelBadge } from "../../../../_components/issue-bits";
import { RefreshWhileWaiting } from "./waiting";

export const metadata: Metadata = { title: "Getting started" };
export const dynamic = "force-dynamic";

type Props = { params: Promise<{ org: string; project: string }> };

export default async function GettingStartedPage({ params }: Props) {
  const { org, project: slug } = await params;
  const viewer = await requireViewer(org);
  const project = await projectBySlug(viewer, slug).catch((error) => {
    if (error instanceof AppError) notFound();
    throw error;
  });
  const dsn = await projectDsn(viewer, project.id).catch(() => null);
  const setup = setupFor(project.platform, dsn ?? "(this project has no active key: create one in its settings)");
  // Once live, the first issues show right here: the end of the funnel needs no further click.
  const issues = project.firstEventAt
    ? (await listIssues(viewer, { projectIds: [project.id], sort: "date", limit: 3, stats: null })).issues
    : [];
  return (
    <main className="mx-auto max-w-3xl space-y-6 p-6">
      <div>
        <h1 className="text-2xl font-semibold">Set up {setup.name} for {project.name}</h1>
        <p className="mt-1 text-sm text-slate-600">
          Any official Sentry SDK works unchanged: only the DSN points here.
        </p>
      </div>
      <section className="space-y-2">
        <h2 className="font-medium">Your DSN</h2>
        <code data-testid="dsn" className="block break-all rounded bg-slate-100 px-3 py-2 text-sm">
          {dsn}
        </code>
      </section>
      <section className="space-y-2">
        <h2 className="font-medium">1. Install</h2>
        <pre className="overflow-x-auto rounded bg-slate-900 p-3 text-sm text-slate-100">{setup.install}</pre>
      </section>
      <section className="space-y-2">
        <h2 className="font-medium">2. Configure</h2>
        <pre data-testid="setup-code" className="overflow-x-auto rounded bg-slate-900 p-3 text-sm text-slate-100">
          {setup.code}
        </pre>
      </section>
      <section className="space-y-2">
        <h2 className="font-medium">3. Send a test error</h2>
        <pre className="overflow-x-auto rounded bg-slate-900 p-3 text-sm text-slate-100">{setup.verify}</pre>
      </section>
      <section className="rounded-lg border border-slate-200 bg-white p-4">
        {project.firstEventAt ? (
          <>
            <p role="status" className="text-sm text-green-700" data-testid="first-event-received">
              Your first event arrived {project.firstEventAt.toISOString()}.{" "}
              <Link className="font-medium text-indigo-700 hover:underline" href={`/${org}/issues?project=${project.id}`}>
                See its issue
              </Link>
            </p>
            {issues.length > 0 ? (
              <ul className="mt-3 divide-y divide-slate-200 rounded-md border border-slate-200" data-testid="first-issues">
                {issues.map((issue) => (
                  <li key={issue.id} className="flex items-center gap-2 px-3 py-2 text-sm">
                    <LevelBadge level={issue.level} />
                    <Link href={`/${org}/issues/${issue.id}`} className="min-w-0 flex-1 truncate hover:underline">
                      {issue.title}
                    </Link>
                  </li>
                ))}
              </ul>
            ) : null}
          </>
        ) : (
          <RefreshWhileWaiting />
        )}
      </section>
    </main>
  );
}
