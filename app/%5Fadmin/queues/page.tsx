import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { unsafeFailedJobs, unsafeQueueCounts } from "@/lib/operator";
import { QUEUES, type QueueName } from "@/lib/queues";
import { ActionForm } from "../../_components/action-form";
import { deleteJobAction, retryJobAction } from "../actions";
import { cell, ReadAt, Section, Table } from "../bits";
import { count, utcTime } from "../format";
import { requireOperator } from "../guard";

export const metadata: Metadata = { title: "Queues" };
export const dynamic = "force-dynamic";

const PAGE = 20;
const NAMES = Object.values(QUEUES) as string[];
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const small = "rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-100 disabled:opacity-60";

/** Each BullMQ queue's counts, and one queue's failed jobs with their errors, Retry and Delete. */
export default async function QueuesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireOperator();
  const search = await searchParams;
  const counts = await unsafeQueueCounts();
  const asked = one(search.queue);
  if (asked !== undefined && !NAMES.includes(asked)) notFound();
  // Without a choice, the first queue with failures (most likely what the operator came for).
  const selected = (asked ?? NAMES.find((name) => (counts[name]?.failed ?? 0) > 0) ?? QUEUES.events) as QueueName;
  const page = Math.max(0, Math.min(10_000, Number.parseInt(one(search.page) ?? "0", 10) || 0));
  const failed = await unsafeFailedJobs(selected, page * PAGE, page * PAGE + PAGE - 1);
  const failedTotal = counts[selected]?.failed ?? 0;
  const href = (p: number) => `/_admin/queues?queue=${selected}&page=${p}`;
  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <div className="flex items-baseline justify-between">
        <h1 className="text-2xl font-semibold">Queues</h1>
        <ReadAt />
      </div>
      <Section title="BullMQ queues">
        <Table head={["Queue", "Waiting", "Active", "Delayed", "Completed", "Failed"]} empty="No queues." testId="queue-counts">
          {NAMES.map((name) => {
            const c = counts[name] ?? { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
            return (
              <tr key={name} data-testid="queue-row" data-queue={name}>
                <td className={cell}>
                  <Link href={`/_admin/queues?queue=${name}`} className={name === selected ? "font-semibold text-indigo-700" : "text-indigo-700 hover:underline"}>
                    {name}
                  </Link>
                </td>
                <td className={cell}>{count(c.waiting)}</td>
                <td className={cell}>{count(c.active)}</td>
                <td className={cell}>{count(c.delayed)}</td>
                <td className={cell}>{count(c.completed)}</td>
                <td className={`${cell} ${c.failed > 0 ? "font-semibold text-red-700" : ""}`} data-testid="failed-count">
                  {count(c.failed)}
                </td>
              </tr>
            );
          })}
        </Table>
        <p className="text-xs text-slate-500">Completed and failed jobs are kept up to the queues' removeOnComplete/removeOnFail bounds.</p>
      </Section>
      <Section title={`Failed jobs in ${selected} (${count(failedTotal)})`} testId="failed-jobs">
        <Table head={["Job", "Error", "Attempts", "Failed at", ""]} empty="No failed jobs.">
          {failed.map((job) => (
            <tr key={job.id} data-testid="failed-job" data-job-id={job.id}>
              <td className={cell}>
                <div className="font-medium">{job.name}</div>
                <div className="font-mono text-xs text-slate-500">#{job.id}</div>
                <details className="text-xs">
                  <summary className="cursor-pointer text-slate-500">data</summary>
                  <pre className="max-w-xs overflow-x-auto whitespace-pre-wrap break-all">{JSON.stringify(job.data, null, 1)?.slice(0, 2000)}</pre>
                </details>
              </td>
              <td className={`${cell} max-w-md whitespace-pre-wrap break-words font-mono text-xs text-red-800`}>{job.failedReason}</td>
              <td className={cell}>{job.attemptsMade}</td>
              <td className={`${cell} whitespace-nowrap text-xs`}>{utcTime(job.timestamp)}</td>
              <td className={`${cell} whitespace-nowrap`}>
                <div className="flex gap-1">
                  <ActionForm action={retryJobAction} className="inline">
                    <input type="hidden" name="queue" value={selected} />
                    <input type="hidden" name="id" value={job.id} />
                    <button type="submit" className={small}>Retry</button>
                  </ActionForm>
                  <ActionForm action={deleteJobAction} className="inline">
                    <input type="hidden" name="queue" value={selected} />
                    <input type="hidden" name="id" value={job.id} />
                    <button type="submit" className={small}>Delete</button>
                  </ActionForm>
                </div>
              </td>
            </tr>
          ))}
        </Table>
        <nav className="flex gap-3 text-sm" aria-label="Failed jobs pages">
          {page > 0 ? <Link href={href(page - 1)} className="text-indigo-700 hover:underline">Newer</Link> : null}
          {(page + 1) * PAGE < failedTotal ? <Link href={href(page + 1)} className="text-indigo-700 hover:underline">Older</Link> : null}
        </nav>
      </Section>
    </main>
  );
}
