import Link from "next/link";
import type { TransactionGroupListItem } from "@/lib/performance/summaries";
import type { TransactionGroupSort } from "@/lib/performance/types";
import { Sparkline } from "../../_components/charts";
import { apdexText, failurePercent, ms, perMinute } from "./format";
import { summaryHref, transactionIssuesHref } from "./performance-href";

// The transactions list: one row per (project, transaction, op, method) with its figures over
// the period and a sparkline of its count per bucket. Sorting is by links (no script).

type Props = {
  org: string;
  groups: TransactionGroupListItem[];
  sort: string;
  period: string;
  /** the list's filters a summary link keeps (period, environment, release) */
  carry: Record<string, string | undefined>;
  sortHref: (sort: TransactionGroupSort) => string;
};

const cell = "px-2 py-2 text-right tabular-nums";

function Sortable({ by, sort, sortHref, children }: { by: TransactionGroupSort; sort: string; sortHref: Props["sortHref"]; children: string }) {
  return (
    <th className="px-2 text-right" aria-sort={sort === by ? "descending" : undefined}>
      <Link href={sortHref(by)} className={sort === by ? "font-semibold text-slate-900" : "text-indigo-700 hover:underline"}>
        {children}
        {sort === by ? " ↓" : ""}
      </Link>
    </th>
  );
}

export function GroupTable({ org, groups, sort, period, carry, sortHref }: Props) {
  const sortable = { sort, sortHref };
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="w-full text-left text-sm">
        <thead>
          <tr className="border-b border-slate-200 text-slate-600">
            <th className="px-3 py-2">Transaction</th>
            <th className="px-2">Last {period}</th>
            <Sortable by="-count" {...sortable}>Count</Sortable>
            <Sortable by="-throughput" {...sortable}>TPM</Sortable>
            <th className="px-2 text-right">Avg</th>
            <th className="px-2 text-right">p50</th>
            <Sortable by="-p95" {...sortable}>p95</Sortable>
            <th className="px-2 text-right">p99</th>
            <Sortable by="-failureRate" {...sortable}>Failure rate</Sortable>
            <th className="px-2 text-right">Apdex</th>
            <th className="px-3 text-right">Errors</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => {
            const ref = { projectSlug: g.project.slug, transaction: g.transaction, op: g.op, method: g.method };
            return (
              <tr key={`${g.project.id} ${g.op} ${g.method} ${g.transaction}`} className="border-b border-slate-200 align-top last:border-b-0" data-testid="transaction-row">
                <td className="max-w-md px-3 py-2">
                  <Link href={summaryHref(org, ref, carry)} className="break-all font-mono text-indigo-700 hover:underline">
                    {g.transaction}
                  </Link>
                  <div className="text-xs text-slate-600">
                    {g.project.slug} · {g.op || "no op"}
                    {g.method ? ` · ${g.method}` : ""}
                  </div>
                </td>
                <td className="px-2 py-2">
                  <Sparkline series={g.series.map((count, i) => [i, count])} label={`Transactions of ${g.transaction} over the last ${period}: ${g.count}`} />
                </td>
                <td className={cell} data-testid="count">
                  {g.count.toLocaleString("en")}
                </td>
                <td className={cell}>{perMinute(g.throughput)}</td>
                <td className={cell}>{ms(g.avgDuration)}</td>
                <td className={cell}>{ms(g.p50)}</td>
                <td className={cell} data-testid="p95">
                  {ms(g.p95)}
                </td>
                <td className={cell}>{ms(g.p99)}</td>
                <td className={`${cell} ${g.failureRate > 0 ? "text-red-700" : ""}`} data-testid="failure-rate">
                  {failurePercent(g.failureRate)}
                </td>
                <td className={cell} data-testid="apdex">
                  {apdexText(g.apdex)}
                </td>
                <td className="px-3 py-2 text-right tabular-nums">
                  {g.errorCount > 0 ? (
                    <Link href={transactionIssuesHref(org, g.project.id, g.transaction)} className="text-red-700 hover:underline">
                      {g.errorCount.toLocaleString("en")}
                    </Link>
                  ) : (
                    "0"
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
