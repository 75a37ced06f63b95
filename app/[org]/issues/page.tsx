import type { Metadata } from "next";
import Link from "next/link";
import { can } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { DEFAULT_QUERY, ISSUE_SORTS, type IssueSort, listIssues } from "@/lib/issues/list";
import { listEnvironments } from "@/lib/projects/environments";
import { listProjects } from "@/lib/projects/listing";
import { requireViewer } from "../../(auth)/session";
import { ActionForm } from "../../_components/action-form";
import { Sparkline } from "../../_components/charts";
import { KindBadge, LevelBadge, StatusBadges, TimeAgo } from "../../_components/issue-bits";
import { updateIssuesAction } from "./actions";
import { OperationButton } from "./operation-button";
import { Pager } from "../../_components/pager";

export const metadata: Metadata = { title: "Issues" };
export const dynamic = "force-dynamic";

type Props = {
  params: Promise<{ org: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const PERIODS = ["24h", "14d", "90d"] as const;
const SORT_LABELS: Record<IssueSort, string> = { date: "Last seen", new: "First seen", freq: "Events", user: "Users" };
const all = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const one = (value: string | string[] | undefined) => all(value)[0];


export default async function IssuesPage({ params, searchParams }: Props) {
  const { org } = await params;
  const search = await searchParams;
  const viewer = await requireViewer(org);
  const query = one(search.query) ?? DEFAULT_QUERY;
  const sort = (ISSUE_SORTS as readonly string[]).includes(one(search.sort) ?? "") ? (one(search.sort) as IssueSort) : "date";
  const statsPeriod = (PERIODS as readonly string[]).includes(one(search.statsPeriod) ?? "") ? one(search.statsPeriod)! : "14d";
  const projectIds = all(search.project).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const environments = all(search.environment).filter(Boolean);
  const [projects, envs] = await Promise.all([listProjects(viewer), listEnvironments(viewer)]);

  let result: Awaited<ReturnType<typeof listIssues>> | null = null;
  let problem: string | null = null;
  try {
    result = await listIssues(viewer, { query, sort, statsPeriod, projectIds, environments, cursor: one(search.cursor), limit: 25 });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    problem = error.message;
  }
  const pageUrl = (cursor: string) => {
    const next = new URLSearchParams();
    for (const [key, value] of Object.entries(search)) if (key !== "cursor") for (const v of all(value)) next.append(key, v);
    next.set("cursor", cursor);
    return `/${org}/issues?${next}`;
  };
  const editable = can(viewer.role, "issues:update");

  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <h1 className="text-2xl font-semibold">Issues</h1>
      <form method="get" className="flex flex-wrap items-end gap-2">
        <label className="min-w-64 flex-1">
          <span className="sr-only">Search</span>
          <input
            name="query"
            defaultValue={query}
            placeholder='is:unresolved level:error browser:Chrome "timeout"'
            className="w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm"
          />
        </label>
        <select name="project" defaultValue={projectIds[0]?.toString() ?? ""} aria-label="Project" className="rounded-md border border-slate-300 px-2 py-2 text-sm">
          <option value="">All projects</option>
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <select name="environment" defaultValue={environments[0] ?? ""} aria-label="Environment" className="rounded-md border border-slate-300 px-2 py-2 text-sm">
          <option value="">All environments</option>
          {envs.map((e) => (
            <option key={e}>{e}</option>
          ))}
        </select>
        <select name="statsPeriod" defaultValue={statsPeriod} aria-label="Time range" className="rounded-md border border-slate-300 px-2 py-2 text-sm">
          {PERIODS.map((p) => (
            <option key={p} value={p}>
              Last {p}
            </option>
          ))}
        </select>
        <select name="sort" defaultValue={sort} aria-label="Sort by" className="rounded-md border border-slate-300 px-2 py-2 text-sm">
          {ISSUE_SORTS.map((s) => (
            <option key={s} value={s}>
              {SORT_LABELS[s]}
            </option>
          ))}
        </select>
        <button type="submit" className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700">
          Search
        </button>
      </form>

      {problem ? (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {problem}
        </p>
      ) : null}

      {result && result.issues.length === 0 ? (
        <div className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-slate-600" data-testid="no-issues">
          {projects.length === 0 ? (
            <>
              No projects yet. <Link href={`/${org}/projects/new`} className="text-indigo-700 hover:underline">Create one</Link> and send your
              first event.
            </>
          ) : (
            "No issues match. Try another search or a longer time range."
          )}
        </div>
      ) : null}

      {result && result.issues.length > 0 ? (
        <ActionForm action={updateIssuesAction.bind(null, org)} className="space-y-2">
          {editable ? (
            <div className="flex flex-wrap items-center gap-2">
              <OperationButton operation="resolve">Resolve</OperationButton>
              <OperationButton operation="ignore">Ignore</OperationButton>
              <OperationButton operation="unresolve">Unresolve</OperationButton>
              <OperationButton operation="assign-me">Assign to me</OperationButton>
            </div>
          ) : null}
          <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
            {result.issues.map((issue) => (
              <li key={issue.id} className="flex items-center gap-3 px-3 py-2" data-testid="issue-row">
                {editable ? (
                  <input type="checkbox" name="issue" value={issue.id} aria-label={`Select ${issue.title}`} className="h-4 w-4" />
                ) : null}
                <div className="min-w-0 flex-1">
                  <Link href={`/${org}/issues/${issue.id}`} className="block truncate font-medium text-slate-900 hover:underline">
                    {issue.title}
                  </Link>
                  <div className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
                    <LevelBadge level={issue.level} />
                    <KindBadge type={issue.type} />
                    <StatusBadges issue={issue} />
                    <span>
                      {issue.project.slug.toUpperCase()}-{issue.shortId}
                    </span>
                    <span className="truncate">{issue.culprit}</span>
                    <span>
                      <TimeAgo date={issue.lastSeen} /> · first <TimeAgo date={issue.firstSeen} />
                    </span>
                    {issue.assignee ? <span>→ {issue.assignee.name || issue.assignee.email}</span> : null}
                  </div>
                </div>
                <div className="hidden sm:block">
                  <Sparkline series={issue.stats["24h"] ?? []} label={`Events of ${issue.title} in the last 24 hours`} />
                </div>
                <div className="w-16 text-right text-sm tabular-nums" title="events">
                  {issue.timesSeen}
                </div>
                <div className="hidden w-12 text-right text-sm tabular-nums sm:block" title="users">
                  {issue.userCount}
                </div>
              </li>
            ))}
          </ul>
        </ActionForm>
      ) : null}

      {result ? (
        <Pager links={result.links} href={pageUrl} />
      ) : null}
    </main>
  );
}
