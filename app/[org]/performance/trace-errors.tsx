import Link from "next/link";
import type { TraceError } from "@/lib/performance/types";
import { TimeAgo } from "../../_components/issue-bits";

/** The error events of a trace, each linking to its event on its issue's page. */
export function TraceErrors({ org, errors, title }: { org: string; errors: TraceError[]; title: string }) {
  return (
    <section className="space-y-2" data-testid="trace-errors">
      <h2 className="text-lg font-medium">
        {title} <span className="text-sm font-normal text-slate-500">({errors.length})</span>
      </h2>
      {errors.length === 0 ? (
        <p className="text-sm text-slate-600">No errors.</p>
      ) : (
        <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white text-sm">
          {errors.map((e) => (
            <li key={`${e.project.id}-${e.eventID}`} className="flex flex-wrap items-baseline gap-x-3 px-3 py-2" data-testid="trace-error">
              {e.issueId ? (
                <Link href={`/${org}/issues/${e.issueId}?event=${e.eventID}`} className="min-w-0 break-words font-medium text-red-700 hover:underline">
                  {e.title}
                </Link>
              ) : (
                <span className="min-w-0 break-words font-medium">{e.title}</span>
              )}
              <span className="text-xs text-slate-600">{e.project.slug}</span>
              <span className="text-xs text-slate-600">
                <TimeAgo date={new Date(e.timestamp)} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
