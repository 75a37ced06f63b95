import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import type { ReactNode } from "react";
import { can } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { listMonitorCheckIns } from "@/lib/monitors/api-checkins";
import { recentCheckIns } from "@/lib/monitors/api-list";
import { getMonitor } from "@/lib/monitors/api-read";
import { requireViewer } from "../../../(auth)/session";
import { ActionForm } from "../../../_components/action-form";
import { TimeAgo } from "../../../_components/issue-bits";
import { Pager } from "../../../_components/pager";
import { deleteMonitorAction, setMonitorMutedAction } from "../actions";
import { CheckInTimeline, StatusBadge, TimelineLegend, TimeUntil, formatDuration, scheduleText } from "../monitor-bits";
import { monitorHref } from "../monitor-href";

export const metadata: Metadata = { title: "Monitor" };
export const dynamic = "force-dynamic";

type Props = {
  params: Promise<{ org: string; slug: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const h2 = "text-lg font-medium";
const card = "rounded-lg border border-slate-200 bg-white";
const TIMELINE_HOURS = 24;

export default async function MonitorPage({ params, searchParams }: Props) {
  const { org, slug: segment } = await params;
  const search = await searchParams;
  const viewer = await requireViewer(org);
  const slug = decodeSegment(segment);
  const project = one(search.project) || undefined;
  // An unknown slug, or another org's, is the same 404; a slug in two projects without
  // ?project= says so.
  const monitor = await getMonitor(viewer, slug, project).catch((error) => {
    if (error instanceof AppError && error.code === "not_found") notFound();
    if (error instanceof AppError) return error;
    throw error;
  });
  if (monitor instanceof AppError) {
    return (
      <main className="mx-auto max-w-6xl p-4 sm:p-6">
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {monitor.message}
        </p>
      </main>
    );
  }
  let checkIns: Awaited<ReturnType<typeof listMonitorCheckIns>> | null = null;
  let problem: string | null = null;
  try {
    checkIns = await listMonitorCheckIns(viewer, slug, { project: monitor.project.id, cursor: one(search.cursor), limit: 50 });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    problem = error.message;
  }
  const now = new Date();
  const since = new Date(now.getTime() - TIMELINE_HOURS * 3_600_000);
  const ticks = await recentCheckIns(viewer, [monitor.id], { since, perMonitor: 200 });
  const here = monitorHref(org, monitor.slug, monitor.project.id);
  const mayWrite = can(viewer.role, "monitors:write");

  return (
    <main className="mx-auto max-w-6xl space-y-6 p-4 sm:p-6">
      <header className="space-y-2">
        <div className="text-sm text-slate-600">
          <Link href={`/${org}/crons`} className="text-indigo-700 underline">
            Crons
          </Link>{" "}
          / {monitor.project.slug}
        </div>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h1 className="text-2xl font-semibold" data-testid="monitor-name">
            {monitor.name} <span className="font-mono text-base font-normal text-slate-600">{monitor.slug}</span>
          </h1>
          {mayWrite ? (
            <div className="flex flex-wrap items-start gap-2">
              <ActionForm action={setMonitorMutedAction.bind(null, org, monitor.slug, monitor.project.id, !monitor.isMuted)} className="space-y-1">
                <button type="submit" className="rounded border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-100">
                  {monitor.isMuted ? "Unmute" : "Mute"}
                </button>
              </ActionForm>
              {/* A details element as the confirmation: a second, explicit click, with no client script. */}
              <details className="text-sm">
                <summary className="cursor-pointer rounded border border-red-300 bg-white px-3 py-1 text-red-700">Delete…</summary>
                <ActionForm action={deleteMonitorAction.bind(null, org, monitor.slug, monitor.project.id)} className="mt-2 space-y-2">
                  <p>Its check-ins go with it; an SDK that checks in with this slug and a config makes it anew.</p>
                  <button type="submit" className="rounded-md bg-red-700 px-3 py-1 text-sm font-medium text-white hover:bg-red-800">
                    Delete {monitor.slug}
                  </button>
                </ActionForm>
              </details>
            </div>
          ) : null}
        </div>
        {monitor.isMuted ? <p className="text-sm text-slate-600">Muted: check-ins are recorded, no failure issue is opened.</p> : null}
      </header>

      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4" data-testid="monitor-config">
        <Fact label="Schedule">
          <span className="font-mono">{scheduleText(monitor)}</span>
        </Fact>
        <Fact label="Margin">{monitor.checkinMargin} min</Fact>
        <Fact label="Max runtime">{monitor.maxRuntime} min</Fact>
        <Fact label="Status">{monitor.status}</Fact>
        <Fact label="Time zone">{monitor.timezone}</Fact>
        <Fact label="Issue after">{plural(monitor.failureIssueThreshold, "failure")}</Fact>
        <Fact label="Resolved after">{plural(monitor.recoveryThreshold, "OK")}</Fact>
        <Fact label="Created">
          <TimeAgo date={monitor.dateCreated} />
        </Fact>
      </dl>

      <section className="space-y-2" aria-labelledby="environments">
        <h2 id="environments" className={h2}>
          Environments
        </h2>
        {monitor.environments.length === 0 ? (
          <p className="text-sm text-slate-600">No check-in yet: the first one starts the schedule.</p>
        ) : (
          <ul className={`divide-y divide-slate-200 text-sm ${card}`} data-testid="monitor-environments">
            {monitor.environments.map((env) => (
              <li key={env.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 px-3 py-2">
                <span className="font-medium">{env.name}</span>
                <StatusBadge status={env.status} />
                <span className="text-slate-600">last {env.lastCheckIn ? <TimeAgo date={env.lastCheckIn} /> : "never"}</span>
                <span className="text-slate-600">next {env.nextCheckIn ? <TimeUntil date={env.nextCheckIn} now={now} /> : "not scheduled"}</span>
                {env.issue ? (
                  <Link href={`/${org}/issues/${env.issue.id}`} className="text-indigo-700 hover:underline" data-testid="monitor-issue">
                    {env.issue.title}
                    {env.issue.status === "unresolved" ? "" : ` (${env.issue.status})`}
                  </Link>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="space-y-2" aria-labelledby="timeline">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 id="timeline" className={h2}>
            Last {TIMELINE_HOURS} hours
          </h2>
          <TimelineLegend />
        </div>
        <CheckInTimeline ticks={ticks} since={since} now={now} />
      </section>

      <section className="space-y-2" aria-labelledby="checkins">
        <h2 id="checkins" className={h2}>
          Check-ins
        </h2>
        {problem ? (
          <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
            {problem}
          </p>
        ) : null}
        {checkIns && checkIns.checkIns.length === 0 ? <p className="text-sm text-slate-600">No check-ins yet.</p> : null}
        {checkIns && checkIns.checkIns.length > 0 ? (
          <div className={`overflow-x-auto ${card}`}>
            <table className="w-full text-left text-sm" data-testid="checkins">
              <thead>
                <tr className="border-b border-slate-200 text-slate-600">
                  <th className="px-3 py-2">Status</th>
                  <th className="px-2">Started</th>
                  <th className="px-2">Duration</th>
                  <th className="px-2">Expected at</th>
                  <th className="px-3">Environment</th>
                </tr>
              </thead>
              <tbody>
                {checkIns.checkIns.map((c) => (
                  <tr key={String(c.rowId)} className="border-b border-slate-200 last:border-b-0" data-testid="checkin-row">
                    <td className="px-3 py-2">
                      <StatusBadge status={c.status} />
                    </td>
                    <td className="whitespace-nowrap px-2 py-2">
                      <TimeAgo date={c.dateCreated} />
                    </td>
                    <td className="px-2 py-2 tabular-nums">{formatDuration(c.durationMs)}</td>
                    <td className="whitespace-nowrap px-2 py-2 text-slate-600">
                      {c.expectedTime ? <time dateTime={c.expectedTime.toISOString()}>{c.expectedTime.toISOString().replace("T", " ").slice(0, 16)} UTC</time> : "—"}
                    </td>
                    <td className="px-3 py-2">{c.environment}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {checkIns ? <Pager links={checkIns.links} href={(cursor) => `${here}&cursor=${encodeURIComponent(cursor)}`} /> : null}
      </section>
    </main>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className={`px-3 py-2 ${card}`}>
      <dt className="text-xs uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="font-medium tabular-nums">{children}</dd>
    </div>
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The slug from its path segment, which Next hands over still percent-encoded; a malformed escape is no monitor. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    notFound();
  }
}
