import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AppError } from "@/lib/errors";
import { timeRangeParams } from "@/lib/performance/query-params";
import { transactionGroupDetail } from "@/lib/performance/summaries";
import { listTransactions, parseTransactionListQuery } from "@/lib/performance/transactions-list";
import { listEnvironments } from "@/lib/projects/environments";
import { projectBySlug } from "@/lib/projects/manage";
import { requireViewer } from "../../../(auth)/session";
import { ListProblem, SubmitFilter } from "../../../_components/list-filters";
import { DurationChart } from "../duration-chart";
import { EnvironmentSelect, PeriodSelect, periodOf, ReleaseInput } from "../filters";
import { Figure } from "../figure";
import { apdexText, failurePercent, ms, perMinute } from "../format";
import { transactionIssuesHref } from "../performance-href";
import { SamplesTable } from "../samples-table";

export const metadata: Metadata = { title: "Transaction summary" };
export const dynamic = "force-dynamic";

type Props = {
  params: Promise<{ org: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const SAMPLES = 10;

/** A transaction group's page: its figures and chart over the period, its slowest and latest samples. */
export default async function TransactionSummaryPage({ params, searchParams }: Props) {
  const { org } = await params;
  const search = await searchParams;
  const viewer = await requireViewer(org);
  const transaction = one(search.transaction);
  const projectSlug = one(search.project);
  if (!transaction || !projectSlug) notFound();
  // op and method tell groups of one name apart; absent from a hand-made URL, they mean "none".
  const op = one(search.op) ?? "";
  const method = one(search.method) ?? "";
  const environment = one(search.environment)?.trim() || null;
  const release = one(search.release)?.trim() || null;
  const statsPeriod = periodOf(one(search.statsPeriod));
  const project = await projectBySlug(viewer, projectSlug).catch((error) => {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  });
  const range = timeRangeParams(new URLSearchParams({ statsPeriod }), statsPeriod);
  const [detail, environments] = await Promise.all([
    transactionGroupDetail(viewer, { projectId: project.id, transaction, op, method }, { environment, release, ...range }),
    listEnvironments(viewer),
  ]);
  if (!detail) notFound();

  const sampleQuery = (sort: "-duration" | "-timestamp") => {
    // op and method always (empty: the group without one), as the figures above read them
    const query = new URLSearchParams({ project: String(project.id), transaction, op, method, statsPeriod, sort, per_page: String(SAMPLES) });
    for (const [key, value] of Object.entries({ environment, release })) if (value) query.set(key, value);
    return parseTransactionListQuery(query);
  };
  let slowest: Awaited<ReturnType<typeof listTransactions>> | null = null;
  let recent: Awaited<ReturnType<typeof listTransactions>> | null = null;
  let problem: string | null = null;
  try {
    [slowest, recent] = await Promise.all([listTransactions(viewer, sampleQuery("-duration")), listTransactions(viewer, sampleQuery("-timestamp"))]);
  } catch (error) {
    // A name or release the samples' query refuses (too long): the figures still show.
    if (!(error instanceof AppError)) throw error;
    problem = `Samples: ${error.message}`;
  }
  const { summary, series } = detail;

  return (
    <main className="mx-auto max-w-6xl space-y-6 p-4 sm:p-6">
      <header className="space-y-1">
        <div className="text-sm text-slate-500">
          <Link href={`/${org}/performance?${new URLSearchParams({ statsPeriod, project: String(project.id) })}`} className="text-indigo-700 underline">
            Performance
          </Link>{" "}
          / {project.slug}
        </div>
        <h1 className="break-all font-mono text-2xl font-semibold" data-testid="transaction-name">
          {transaction}
        </h1>
        <p className="text-sm text-slate-600">
          {op || "no op"}
          {method ? ` · ${method}` : ""} · project {project.slug}
        </p>
      </header>

      <form method="get" className="flex flex-wrap items-end gap-2" aria-label="Filters">
        {Object.entries({ project: project.slug, transaction, op, method }).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <EnvironmentSelect environments={environments} selected={environment ?? ""} />
        <ReleaseInput value={release ?? ""} />
        <PeriodSelect selected={statsPeriod} />
        <SubmitFilter />
      </form>

      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-5" aria-label="Figures">
        <Figure label="Count" testId="summary-count">
          {summary.count.toLocaleString("en")}
        </Figure>
        <Figure label="Per minute">{perMinute(summary.throughput)}</Figure>
        <Figure label="Avg">{ms(summary.avgDuration)}</Figure>
        <Figure label="p50" testId="summary-p50">
          {ms(summary.p50)}
        </Figure>
        <Figure label="p75">{ms(summary.p75)}</Figure>
        <Figure label="p95" testId="summary-p95">
          {ms(summary.p95)}
        </Figure>
        <Figure label="p99">{ms(summary.p99)}</Figure>
        <Figure label="Failure rate" testId="summary-failure-rate">
          {failurePercent(summary.failureRate)}
        </Figure>
        <Figure label={`Apdex (T = ${project.apdexThresholdMs} ms)`} testId="summary-apdex">
          {apdexText(summary.apdex)}
        </Figure>
        <Figure label="Errors" testId="summary-errors">
          {summary.errorCount > 0 ? (
            <Link href={transactionIssuesHref(org, project.id, transaction)} className="text-red-700 hover:underline">
              {summary.errorCount.toLocaleString("en")}
            </Link>
          ) : (
            "0"
          )}
        </Figure>
      </dl>

      <DurationChart series={series} label={`Duration and count over the last ${statsPeriod}`} />

      <ListProblem problem={problem} />
      <div className="grid gap-6 lg:grid-cols-2">
        {slowest ? <SamplesTable org={org} title="Slowest" samples={slowest.transactions} testId="slowest" /> : null}
        {recent ? <SamplesTable org={org} title="Most recent" samples={recent.transactions} testId="recent" /> : null}
      </div>
    </main>
  );
}
