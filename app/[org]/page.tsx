import type { Metadata } from "next";
import Link from "next/link";
import { can } from "@/lib/auth/permissions";
import { listIssues } from "@/lib/issues/list";
import { listProjectsWithDsns } from "@/lib/projects";
import { projectHourlyCounts } from "@/lib/projects/stats";
import { requireViewer } from "../(auth)/session";
import { Sparkline } from "../_components/charts";
import { LevelBadge, StatusBadges, TimeAgo } from "../_components/issue-bits";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ org: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: (await params).org };
}

/** The org's home: its projects with the last day's events, and its newest unresolved issues. */
export default async function OrgHome({ params }: Props) {
  const { org } = await params;
  const viewer = await requireViewer(org);
  if (!can(viewer.role, "projects:read")) {
    return (
      <main className="mx-auto max-w-6xl p-4 sm:p-6">
        <p className="text-slate-600">Your role ({viewer.role}) sees the organization's settings and billing, not its projects.</p>
      </main>
    );
  }
  const [projects, issues] = await Promise.all([
    listProjectsWithDsns(viewer),
    listIssues(viewer, { sort: "date", limit: 10, statsPeriod: "14d" }),
  ]);
  const counts = await projectHourlyCounts(
    viewer,
    projects.map((p) => p.id),
  );
  return (
    <main className="mx-auto max-w-6xl space-y-8 p-4 sm:p-6">
      <section>
        <div className="mb-3 flex items-baseline justify-between">
          <h1 className="text-xl font-semibold">Projects</h1>
          <Link href={`/${org}/projects/new`} className="text-sm font-medium text-indigo-700 hover:underline">
            New project
          </Link>
        </div>
        {projects.length === 0 ? (
          <p className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-slate-600">
            No projects yet.{" "}
            <Link href={`/${org}/projects/new`} className="text-indigo-700 hover:underline">
              Create your first project
            </Link>
            .
          </p>
        ) : (
          <ul className="grid gap-3 md:grid-cols-2">
            {projects.map((p) => {
              const series = counts.get(p.id) ?? [];
              const total = series.reduce((sum, [, c]) => sum + c, 0);
              return (
                <li key={p.id} className="space-y-2 rounded-lg border border-slate-200 bg-white p-4" data-testid="project-card">
                  <div className="flex items-baseline justify-between gap-2">
                    <Link href={`/${org}/issues?project=${p.id}`} className="font-medium hover:underline">
                      {p.name}
                    </Link>
                    <span className="flex gap-3 text-sm text-slate-500">
                      {p.platform}
                      <Link href={`/${org}/projects/${p.slug}/getting-started`} className="text-indigo-700 hover:underline">
                        Setup
                      </Link>
                      <Link href={`/${org}/projects/${p.slug}/alerts`} className="text-indigo-700 hover:underline">
                        Alerts
                      </Link>
                      <Link href={`/${org}/projects/${p.slug}/settings`} className="text-indigo-700 hover:underline">
                        Settings
                      </Link>
                    </span>
                  </div>
                  <div className="flex items-end justify-between gap-3">
                    <Sparkline series={series} width={200} height={32} label={`${p.name}: ${total} events in the last 24 hours`} />
                    <span className="text-sm text-slate-600">
                      <strong className="tabular-nums">{total}</strong> events / 24 h
                    </span>
                  </div>
                  {p.dsns.map((dsn) => (
                    <code key={dsn} className="block break-all rounded bg-slate-100 px-2 py-1 text-xs" data-testid="dsn">
                      {dsn}
                    </code>
                  ))}
                  {p.firstEventAt ? null : <p className="text-sm text-amber-700">Waiting for the first event.</p>}
                </li>
              );
            })}
          </ul>
        )}
      </section>
      {projects.length > 0 ? (
        <section>
          <div className="mb-3 flex items-baseline justify-between">
            <h2 className="text-xl font-semibold">Latest unresolved issues</h2>
            <Link href={`/${org}/issues`} className="text-sm font-medium text-indigo-700 hover:underline">
              All issues
            </Link>
          </div>
          {issues.issues.length === 0 ? (
            <p className="text-slate-600">Nothing unresolved in the last 14 days.</p>
          ) : (
            <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
              {issues.issues.map((issue) => (
                <li key={issue.id} className="flex items-center gap-3 px-3 py-2 text-sm">
                  <LevelBadge level={issue.level} />
                  <Link href={`/${org}/issues/${issue.id}`} className="min-w-0 flex-1 truncate hover:underline">
                    {issue.title}
                  </Link>
                  <StatusBadges issue={issue} />
                  <span className="text-slate-500">
                    <TimeAgo date={issue.lastSeen} />
                  </span>
                  <span className="w-14 text-right tabular-nums">{issue.timesSeen}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
    </main>
  );
}
