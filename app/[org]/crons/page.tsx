import type { Metadata } from "next";
import Link from "next/link";
import { can } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { type CheckInTick, listMonitors, recentCheckIns } from "@/lib/monitors/api-list";
import { listProjects } from "@/lib/projects/listing";
import { requireViewer } from "../../(auth)/session";
import { TimeAgo } from "../../_components/issue-bits";
import { Pager } from "../../_components/pager";
import { CheckInTimeline, StatusBadge, TimelineLegend, TimeUntil, scheduleText } from "./monitor-bits";
import { monitorHref } from "./monitor-href";
import { NewMonitorForm } from "./new-monitor-form";
import { ListProblem, ProjectSelect, SubmitFilter } from "../../_components/list-filters";

export const metadata: Metadata = { title: "Crons" };
export const dynamic = "force-dynamic";

type Props = {
  params: Promise<{ org: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

// The timelines show the last day, at most this many check-ins of each monitor.
const TIMELINE_HOURS = 24;
const TICKS_PER_MONITOR = 100;

export default async function CronsPage({ params, searchParams }: Props) {
  const { org } = await params;
  const search = await searchParams;
  const viewer = await requireViewer(org);
  const query = (one(search.query) ?? "").trim();
  const projectParam = Number(one(search.project));
  const projectId = Number.isInteger(projectParam) && projectParam > 0 ? projectParam : undefined;
  const projects = await listProjects(viewer);

  let result: Awaited<ReturnType<typeof listMonitors>> | null = null;
  let problem: string | null = null;
  try {
    result = await listMonitors(viewer, { query: query || undefined, projects: projectId ? [projectId] : undefined, cursor: one(search.cursor) });
  } catch (error) {
    // A malformed cursor or a foreign project id from a hand-edited URL: say so.
    if (!(error instanceof AppError)) throw error;
    problem = error.code === "not_found" ? "No such project." : error.message;
  }
  const now = new Date();
  const since = new Date(now.getTime() - TIMELINE_HOURS * 3_600_000);
  const ticks = result
    ? await recentCheckIns(viewer, result.monitors.map((m) => m.id), { since, perMonitor: TICKS_PER_MONITOR })
    : [];
  const ticksOf = new Map<number, CheckInTick[]>();
  for (const tick of ticks) {
    const list = ticksOf.get(tick.monitorId);
    if (list) list.push(tick);
    else ticksOf.set(tick.monitorId, [tick]);
  }
  const pageUrl = (cursor: string) => {
    const next = new URLSearchParams();
    if (query) next.set("query", query);
    if (projectId) next.set("project", String(projectId));
    next.set("cursor", cursor);
    return `/${org}/crons?${next}`;
  };
  const filtered = query !== "" || projectId !== undefined;
  const mayWrite = can(viewer.role, "monitors:write");

  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">Crons</h1>
        <TimelineLegend />
      </div>
      <form method="get" className="flex flex-wrap items-end gap-2">
        <label className="min-w-64 flex-1">
          <span className="sr-only">Name or slug</span>
          <input
            name="query"
            defaultValue={query}
            placeholder="Name or slug"
            className="w-full rounded-md border border-slate-300 px-3 py-2 text-sm"
          />
        </label>
        <ProjectSelect projects={projects} selected={projectId?.toString() ?? ""} by="id" />
        <SubmitFilter />
      </form>

      <ListProblem problem={problem} />

      {result && result.monitors.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-slate-600" data-testid="no-monitors">
          {filtered ? (
            "No monitor matches."
          ) : (
            <>
              No monitors yet: wrap a job in <code>Sentry.withMonitor("nightly-report", job, {"{"} schedule {"}"})</code>, run it
              with <code>sentry-cli monitors run</code>, or create one below.
            </>
          )}
        </p>
      ) : null}

      {result && result.monitors.length > 0 ? (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="border-b border-slate-200 text-slate-600">
                <th className="px-3 py-2">Monitor</th>
                <th className="px-2">Schedule</th>
                <th className="px-2">Status</th>
                <th className="px-2">Next expected</th>
                <th className="w-1/3 px-3">Last {TIMELINE_HOURS} h</th>
              </tr>
            </thead>
            <tbody>
              {result.monitors.map((m) => {
                const next = earliest(m.environments.map((e) => e.nextCheckIn));
                const last = latest(m.environments.map((e) => e.lastCheckIn));
                return (
                  <tr key={m.id} className="border-b border-slate-200 align-top last:border-b-0" data-testid="monitor-row">
                    <td className="px-3 py-2">
                      <Link href={monitorHref(org, m.slug, m.project.id)} className="font-medium text-indigo-700 hover:underline">
                        {m.name}
                      </Link>
                      <div className="text-xs text-slate-600">
                        {m.project.slug} · <span className="font-mono">{m.slug}</span>
                        {m.isMuted ? " · muted" : ""}
                      </div>
                    </td>
                    <td className="px-2 py-2 font-mono text-xs">{scheduleText(m)}</td>
                    <td className="space-y-1 px-2 py-2">
                      {m.status === "disabled" ? <StatusBadge status="disabled" /> : null}
                      {m.environments.length === 0 ? (
                        <StatusBadge status="active" />
                      ) : (
                        m.environments.map((e) => (
                          <div key={e.id} className="flex items-center gap-1 text-xs">
                            <StatusBadge status={e.status} /> <span className="text-slate-600">{e.name}</span>
                          </div>
                        ))
                      )}
                    </td>
                    <td className="whitespace-nowrap px-2 py-2">
                      {next ? <TimeUntil date={next} now={now} /> : "after the first check-in"}
                      {last ? (
                        <div className="text-xs text-slate-600">
                          last <TimeAgo date={last} />
                        </div>
                      ) : null}
                    </td>
                    <td className="px-3 py-3">
                      <CheckInTimeline ticks={ticksOf.get(m.id) ?? []} since={since} now={now} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}

      {result ? <Pager links={result.links} href={pageUrl} /> : null}

      {mayWrite && projects.length > 0 ? (
        <details className="rounded-lg border border-slate-200 bg-white p-4" open={result?.monitors.length === 0 && !filtered}>
          <summary className="cursor-pointer font-medium">New monitor</summary>
          <div className="mt-4">
            <NewMonitorForm org={org} projects={projects} />
          </div>
        </details>
      ) : null}
    </main>
  );
}

const times = (dates: (Date | null)[]) => dates.filter((d): d is Date => d !== null).map((d) => d.getTime());
const earliest = (dates: (Date | null)[]) => (times(dates).length ? new Date(Math.min(...times(dates))) : null);
const latest = (dates: (Date | null)[]) => (times(dates).length ? new Date(Math.max(...times(dates))) : null);
