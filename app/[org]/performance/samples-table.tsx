import Link from "next/link";
import type { TransactionListRow } from "@/lib/performance/transactions-list";
import { isFailedStatus } from "@/lib/performance/sketch";
import { TimeAgo } from "../../_components/issue-bits";
import { ms, statusText } from "./format";
import { traceHref, transactionHref } from "./performance-href";

/** Sample transactions of a group (slowest or most recent), each opening its span waterfall. */
export function SamplesTable({ org, title, samples, testId }: { org: string; title: string; samples: TransactionListRow[]; testId: string }) {
  return (
    <section className="space-y-2" data-testid={testId}>
      <h2 className="text-lg font-medium">{title}</h2>
      {samples.length === 0 ? (
        <p className="text-sm text-slate-600">None in this period.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="border-b border-slate-200 text-slate-600">
                <th className="px-3 py-2">Event</th>
                <th className="px-2 text-right">Duration</th>
                <th className="px-2">Status</th>
                <th className="px-2">When</th>
                <th className="px-3">Trace</th>
              </tr>
            </thead>
            <tbody>
              {samples.map((t) => (
                <tr key={`${t.project.id}-${t.eventID}`} className="border-b border-slate-200 last:border-b-0" data-testid="sample-row">
                  <td className="px-3 py-2">
                    <Link href={transactionHref(org, t.project.slug, t.eventID)} className="font-mono text-indigo-700 hover:underline">
                      {t.eventID.slice(0, 12)}
                    </Link>
                  </td>
                  <td className="px-2 py-2 text-right tabular-nums">{ms(t.duration)}</td>
                  <td className={`px-2 py-2 ${isFailedStatus(t.status) ? "text-red-700" : ""}`}>{statusText(t.status)}</td>
                  <td className="whitespace-nowrap px-2 py-2">
                    <TimeAgo date={new Date(t.timestamp)} />
                  </td>
                  <td className="px-3 py-2">
                    {t.traceId ? (
                      <Link href={traceHref(org, t.traceId)} className="font-mono text-indigo-700 hover:underline">
                        {t.traceId.replaceAll("-", "").slice(0, 8)}
                      </Link>
                    ) : (
                      <span className="text-slate-500">none</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
