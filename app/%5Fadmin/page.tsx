import type { Metadata } from "next";
import Link from "next/link";
import { unsafeOperatorStatus, unsafeProcessedPerMinute, unsafeRedisMemory } from "@/lib/operator";
import { Figure, ReadAt, Section } from "./bits";
import { bytes, count, duration } from "./format";
import { requireOperator } from "./guard";
import { ThroughputChart } from "./throughput-chart";

export const metadata: Metadata = { title: "Overview" };
export const dynamic = "force-dynamic";

/** The install at a glance: throughput, backlog, failures, processes, Redis. */
export default async function OverviewPage() {
  await requireOperator();
  const [status, minutes, memory] = await Promise.all([unsafeOperatorStatus(), unsafeProcessedPerMinute(60), unsafeRedisMemory()]);
  const queues = Object.values(status.queues);
  const sum = (key: "waiting" | "active" | "failed" | "delayed") => queues.reduce((total, q) => total + q[key], 0);
  const backlog = status.streams.reduce((total, s) => total + s.backlog, 0);
  const oldest = Math.max(0, ...status.streams.map((s) => s.oldestAgeSeconds ?? 0));
  // The newest minute is still filling: the last complete one is the rate.
  const lastMinute = minutes.length > 1 ? minutes[minutes.length - 2]!.events : (minutes[0]?.events ?? 0);
  const kinds = (kind: string) => status.processes.filter((p) => p.kind === kind).length;
  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <div className="flex items-baseline justify-between">
        <h1 className="text-2xl font-semibold">Operator console</h1>
        <ReadAt />
      </div>
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Figure label="Stored last minute" value={count(lastMinute)} hint="events" testId="figure-last-minute" />
        <Figure label="Stream backlog" value={count(backlog)} hint={`entries; oldest ${duration(oldest)}`} testId="figure-backlog" />
        <Figure label="Jobs waiting / active" value={`${count(sum("waiting") + sum("delayed"))} / ${count(sum("active"))}`} hint="incl. delayed" testId="figure-jobs" />
        <Figure label="Failed jobs" value={<Link href="/_admin/queues" className="hover:underline">{count(sum("failed"))}</Link>} testId="figure-failed" />
        <Figure label="Dead letters" value={<Link href="/_admin/dead-letters" className="hover:underline">{count(status.deadLetters)}</Link>} testId="figure-dead-letters" />
        <Figure label="Processes" value={count(status.processes.length)} hint={`web ${kinds("web")}, ingest ${kinds("ingest")}, worker ${kinds("worker")}`} testId="figure-processes" />
        <Figure label="Redis memory" value={bytes(memory.usedBytes)} hint={memory.maxBytes ? `of ${bytes(memory.maxBytes)}` : "no maxmemory set"} testId="figure-redis" />
      </div>
      <Section title="Processed per minute">
        <ThroughputChart minutes={minutes} />
      </Section>
    </main>
  );
}
