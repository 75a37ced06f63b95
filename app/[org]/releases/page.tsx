import type { Metadata } from "next";
import Link from "next/link";
import { AppError } from "@/lib/errors";
import { listProjects } from "@/lib/projects/listing";
import { listReleases } from "@/lib/releases";
import { type ReleaseHealth, releasesHealth } from "@/lib/sessions";
import { requireViewer } from "../../(auth)/session";
import { TimeAgo } from "../../_components/issue-bits";
import { releaseHref } from "./release-href";
import { Pager } from "../../_components/pager";
import { HealthSparkline, percent } from "./health-bits";
import { ListProblem, ProjectSelect, SubmitFilter } from "../../_components/list-filters";

export const metadata: Metadata = { title: "Releases" };
export const dynamic = "force-dynamic";

type Props = {
  params: Promise<{ org: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export default async function ReleasesPage({ params, searchParams }: Props) {
  const { org } = await params;
  const search = await searchParams;
  const viewer = await requireViewer(org);
  const query = (one(search.query) ?? "").trim();
  const projectParam = Number(one(search.project));
  const projectId = Number.isInteger(projectParam) && projectParam > 0 ? projectParam : undefined;
  const projects = await listProjects(viewer);

  let result: Awaited<ReturnType<typeof listReleases>> | null = null;
  let health = new Map<string, ReleaseHealth>();
  let problem: string | null = null;
  try {
    result = await listReleases(viewer, { query: query || undefined, projectId, cursor: one(search.cursor), limit: 25 });
    // Release health of the page's releases over the last 24 hours (the project filter too).
    health = await releasesHealth(viewer, result.releases.map((r) => r.version), { projectId });
  } catch (error) {
    // A malformed cursor from a hand-edited URL: say so instead of failing the page.
    if (!(error instanceof AppError)) throw error;
    problem = error.message;
  }
  const pageUrl = (cursor: string) => {
    const next = new URLSearchParams();
    if (query) next.set("query", query);
    if (projectId) next.set("project", String(projectId));
    next.set("cursor", cursor);
    return `/${org}/releases?${next}`;
  };
  const filtered = query !== "" || projectId !== undefined;

  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <h1 className="text-2xl font-semibold">Releases</h1>
      <form method="get" className="flex flex-wrap items-end gap-2">
        <label className="min-w-64 flex-1">
          <span className="sr-only">Version starts with</span>
          <input
            name="query"
            defaultValue={query}
            placeholder="Version starts with, e.g. shop-web@1.4"
            className="w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm"
          />
        </label>
        <ProjectSelect projects={projects} selected={projectId?.toString() ?? ""} by="id" />
        <SubmitFilter />
      </form>

      <ListProblem problem={problem} />

      {result && result.releases.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-slate-600" data-testid="no-releases">
          {filtered ? (
            "No release matches."
          ) : (
            <>
              No releases yet: set <code>release</code> in your SDK's init and they appear with their first event, or create
              one in CI with <code>sentry-cli releases new</code>.
            </>
          )}
        </p>
      ) : null}

      {result && result.releases.length > 0 ? (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="border-b border-slate-200 text-slate-600">
                <th className="px-3 py-2">Version</th>
                <th className="px-2">Projects</th>
                <th className="px-2">Created</th>
                <th className="px-2">Released</th>
                <th className="px-2">Last deploy</th>
                <th className="px-2 text-right">Crash-free sessions</th>
                <th className="px-2 text-right">Crash-free users</th>
                <th className="px-2 text-right">Adoption</th>
                <th className="px-2">Sessions, 24 h</th>
                <th className="px-2 text-right">New issues</th>
                <th className="px-2 text-right">Events</th>
                <th className="px-3 text-right">Commits</th>
              </tr>
            </thead>
            <tbody>
              {result.releases.map((r) => (
                <tr key={r.id} className="border-b border-slate-200 align-top last:border-b-0" data-testid="release-row">
                  <td className="max-w-72 break-all px-3 py-2 font-mono">
                    <Link href={releaseHref(org, r.version)} className="text-indigo-700 hover:underline">
                      {r.version}
                    </Link>
                  </td>
                  <td className="px-2 py-2">{r.projects.map((p) => p.slug).join(", ") || "none"}</td>
                  <td className="whitespace-nowrap px-2 py-2">
                    <TimeAgo date={r.dateCreated} />
                  </td>
                  <td className="whitespace-nowrap px-2 py-2">{r.dateReleased ? <TimeAgo date={r.dateReleased} /> : "not yet"}</td>
                  <td className="whitespace-nowrap px-2 py-2">
                    {r.lastDeploy ? (
                      <>
                        {r.lastDeploy.environment} <TimeAgo date={r.lastDeploy.dateFinished} />
                      </>
                    ) : (
                      "none"
                    )}
                  </td>
                  <ReleaseHealthCells health={health.get(r.version)} version={r.version} />
                  <td className="px-2 py-2 text-right tabular-nums">{r.newIssues}</td>
                  <td className="px-2 py-2 text-right tabular-nums">{r.eventCount}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{r.commitCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {result ? (
        <Pager links={result.links} href={pageUrl} />
      ) : null}
    </main>
  );
}

function ReleaseHealthCells({ health, version }: { health: ReleaseHealth | undefined; version: string }) {
  if (!health || health.sessions === 0) {
    return (
      <td className="px-2 py-2 text-right text-slate-500" colSpan={4} data-testid="release-health">
        no sessions in 24 h
      </td>
    );
  }
  return (
    <>
      <td className="px-2 py-2 text-right tabular-nums" data-testid="crash-free-sessions">
        {percent(health.crashFreeSessions)}
      </td>
      <td className="px-2 py-2 text-right tabular-nums" data-testid="crash-free-users">
        {percent(health.crashFreeUsers)}
      </td>
      <td className="px-2 py-2 text-right tabular-nums" data-testid="adoption" title={`${health.sessions24h} sessions in the last 24 h`}>
        {percent(health.adoption)}
      </td>
      <td className="px-2 py-2">
        <HealthSparkline health={health} label={`Sessions of ${version} per hour over the last 24 hours: ${health.sessions}`} />
      </td>
    </>
  );
}
