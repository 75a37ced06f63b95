"use client";

import Link from "next/link";
import { Fragment } from "react";
import type { TraceError } from "@/lib/performance/types";
import type { SpanRow } from "@/lib/performance/waterfall-layout";
import { ms, statusText } from "./format";
import { transactionHref } from "./performance-href";
import { spanColour } from "./span-colour";
import { AXIS_ROW, AxisBar, MAX_INDENT } from "./time-axis";

// The waterfall's span rows. A client component only so that the page's payload carries the
// rows as data rather than as a second copy of their markup (a 1,000-span transaction's page
// shrank from 5.1 MB); it renders on the server like the rest and needs no script to work: a
// row opens (a <details>) on its ids, status, tags and data, its errors, and the transactions
// it started in other services (an outgoing request's span is the server transaction's parent).

/** A transaction of the trace that a span of this one started. */
export type CalledTransaction = { projectSlug: string; eventId: string; name: string; op: string };

type Props = {
  org: string;
  rows: SpanRow[];
  /** span id -> the errors that happened in it (Maps: ids come from SDKs, never object keys) */
  errorsBySpan: Map<string, TraceError[]>;
  /** span id -> the transactions of the trace it started */
  callsBySpan: Map<string, CalledTransaction[]>;
};

function SpanDetails({ row, errors, calls, org }: { row: SpanRow; errors: TraceError[]; calls: CalledTransaction[]; org: string }) {
  const { span } = row;
  const facts: [string, string][] = [
    ["span id", span.span_id],
    ["parent span", span.parent_span_id ?? "none"],
    ["op", span.op ?? "none"],
    ["status", statusText(span.status ?? "")],
    ["starts after", ms(row.offsetMs)],
    ["duration", ms(row.durationMs)],
    ...Object.entries(span.tags ?? {}).map(([key, value]): [string, string] => [`tag ${key}`, String(value)]),
    ...Object.entries(span.data ?? {}).map(([key, value]): [string, string] => [key, typeof value === "string" ? value : JSON.stringify(value, null, 1)]),
  ];
  return (
    <div className="space-y-2 border-t border-slate-100 bg-slate-50 px-3 py-2 text-xs">
      {row.orphan ? <p className="text-amber-800">Its parent span was not received (or was trimmed), so it is shown under the transaction.</p> : null}
      {span.description ? <pre className="whitespace-pre-wrap break-all font-mono text-slate-800">{span.description}</pre> : null}
      {/* Styled from the list, not per item: a 1,000-span page repeats these a thousand times. */}
      <dl className="grid grid-cols-[12rem_minmax(0,1fr)] gap-x-2 [&_dd]:whitespace-pre-wrap [&_dd]:break-all [&_dd]:font-mono [&_dt]:break-all [&_dt]:text-slate-500">
        {facts.map(([label, value], i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a tag and a data key may share a name; the list never reorders
          <Fragment key={i}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </Fragment>
        ))}
      </dl>
      {calls.map((c) => (
        <p key={c.eventId}>
          Continues in {c.projectSlug}:{" "}
          <Link href={transactionHref(org, c.projectSlug, c.eventId)} className="font-mono text-indigo-700 hover:underline">
            {c.op ? `${c.op} ` : ""}
            {c.name}
          </Link>
        </p>
      ))}
      {errors.map((e) => (
        <p key={e.eventID}>
          Error in this span:{" "}
          <Link href={`/${org}/issues/${e.issueId}?event=${e.eventID}`} className="text-red-700 hover:underline">
            {e.title}
          </Link>
        </p>
      ))}
    </div>
  );
}

export function SpanRows({ org, rows, errorsBySpan, callsBySpan }: Props) {
  return (
    <ol>
      {rows.map((row, i) => {
        const errors = errorsBySpan.get(row.span.span_id) ?? [];
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: span ids may repeat in hostile input; the rows never reorder
          <li key={`${row.span.span_id}-${i}`} className="border-b border-slate-100 last:border-b-0" data-testid="span-row" data-depth={row.depth}>
            <details className="group">
              <summary className={`${AXIS_ROW} cursor-pointer list-none px-3 py-1 hover:bg-slate-50 [&::-webkit-details-marker]:hidden`}>
                <div className="flex min-w-0 items-baseline gap-2" style={{ paddingLeft: `${Math.min(row.depth - 1, MAX_INDENT) * 0.75}rem` }}>
                  <span className="shrink-0 text-slate-400 group-open:rotate-90" aria-hidden="true">
                    ▸
                  </span>
                  <span className="shrink-0 font-medium">{row.span.op || "span"}</span>
                  <span className="truncate text-slate-600" title={row.span.description}>
                    {row.span.description ?? ""}
                  </span>
                  {errors.length > 0 ? (
                    <span className="shrink-0 rounded bg-red-100 px-1 text-xs text-red-800" data-testid="span-error">
                      {errors.length === 1 ? "error" : `${errors.length} errors`}
                    </span>
                  ) : null}
                  {row.orphan ? <span className="shrink-0 rounded bg-amber-100 px-1 text-xs text-amber-800">no parent</span> : null}
                  <span className="ml-auto shrink-0 tabular-nums text-slate-600">{ms(row.durationMs)}</span>
                </div>
                <AxisBar bar={row} className={spanColour(row.span.op, row.span.status)} />
              </summary>
              <SpanDetails row={row} errors={errors} calls={callsBySpan.get(row.span.span_id) ?? []} org={org} />
            </details>
          </li>
        );
      })}
    </ol>
  );
}
