import type { Metadata } from "next";
import { AppError } from "@/lib/errors";
import { listTransactionGroups, parseTransactionGroupQuery } from "@/lib/performance/summaries";
import { listEnvironments } from "@/lib/projects/environments";
import { listProjects } from "@/lib/projects/listing";
import { requireViewer } from "../../(auth)/session";
import { ListProblem, ProjectSelect, SubmitFilter } from "../../_components/list-filters";
import { Pager } from "../../_components/pager";
import { cursorLinks } from "./cursor-links";
import { EnvironmentSelect, PeriodSelect, periodOf, ReleaseInput } from "./filters";
import { GroupTable } from "./group-table";

export const metadata: Metadata = { title: "Performance" };
export const dynamic = "force-dynamic";

type Props = {
  params: Promise<{ org: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
// What the page's links and form carry; anything else in the URL is dropped.
const KEYS = ["query", "project", "environment", "release", "sort", "cursor"] as const;

export default async function PerformancePage({ params, searchParams }: Props) {
  const { org } = await params;
  const search = await searchParams;
  const viewer = await requireViewer(org);
  const state: Record<string, string> = { statsPeriod: periodOf(one(search.statsPeriod)) };
  for (const key of KEYS) {
    const value = one(search[key])?.trim();
    if (value) state[key] = value;
  }
  const [projects, environments] = await Promise.all([listProjects(viewer), listEnvironments(viewer)]);

  let result: Awaited<ReturnType<typeof listTransactionGroups>> | null = null;
  let problem: string | null = null;
  try {
    result = await listTransactionGroups(viewer, parseTransactionGroupQuery(new URLSearchParams(state)));
  } catch (error) {
    // A hand-edited URL (a foreign project, a malformed cursor or sort): say so.
    if (!(error instanceof AppError)) throw error;
    problem = error.code === "not_found" ? "No such project." : error.message;
  }
  /** This page's URL with some parameters changed (a new sort or page starts from no cursor). */
  const hrefWith = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams();
    for (const [key, value] of Object.entries({ ...state, cursor: undefined, ...changes })) if (value) next.set(key, value);
    return `/${org}/performance?${next}`;
  };
  const filtered = Boolean(state.query || state.project || state.environment || state.release);

  return (
    <main className="mx-auto max-w-7xl space-y-4 p-4 sm:p-6">
      <h1 className="text-2xl font-semibold">Performance</h1>
      <form method="get" className="flex flex-wrap items-end gap-2" aria-label="Filters">
        <label className="min-w-56 flex-1">
          <span className="sr-only">Transaction name contains</span>
          <input
            name="query"
            defaultValue={state.query ?? ""}
            placeholder="Transaction name contains, e.g. /checkout"
            className="w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm"
          />
        </label>
        <ProjectSelect projects={projects} selected={state.project ?? ""} by="id" />
        <EnvironmentSelect environments={environments} selected={state.environment ?? ""} />
        <ReleaseInput value={state.release ?? ""} />
        <PeriodSelect selected={state.statsPeriod!} />
        {state.sort ? <input type="hidden" name="sort" value={state.sort} /> : null}
        <SubmitFilter />
      </form>

      <ListProblem problem={problem} />

      {result && result.groups.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-slate-600" data-testid="no-transactions">
          {filtered ? (
            "No transaction matches in this period."
          ) : (
            <>
              No transactions in the last {state.statsPeriod}. Turn tracing on in your SDK&apos;s init (
              <code>tracesSampleRate: 1.0</code>, lower in production) and its page loads, requests and jobs appear here.
            </>
          )}
        </p>
      ) : null}

      {result && result.groups.length > 0 ? (
        <GroupTable org={org} groups={result.groups} sort={state.sort ?? "-count"} period={state.statsPeriod!}
          carry={{ statsPeriod: state.statsPeriod, environment: state.environment, release: state.release }}
          sortHref={(sort) => hrefWith({ sort })} />
      ) : null}

      {result ? <Pager links={cursorLinks(result)} href={(cursor) => hrefWith({ cursor })} /> : null}
    </main>
  );
}
