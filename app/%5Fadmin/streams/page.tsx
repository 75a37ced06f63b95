import type { Metadata } from "next";
import { unsafeProcessedPerMinute, unsafeStreamFacts } from "@/lib/operator";
import { cell, ReadAt, Section, Table } from "../bits";
import { bytes, count, duration } from "../format";
import { requireOperator } from "../guard";

export const metadata: Metadata = { title: "Streams" };
export const dynamic = "force-dynamic";

/**
 * Each project's event streams with entries waiting (two lanes a project): backlog in entries
 * and bytes, and the oldest entry's age. There is no per-lane counter (one INCRBY per batch is
 * the whole cost on the event path), so the drain rate is the install's: events stored in the
 * last complete minute, every lane together. The worker interleaves all lanes' drain jobs, so a
 * lane gets at most that rate: its backlog over it is a lower bound of its drain time.
 */
export default async function StreamsPage() {
  await requireOperator();
  const [streams, minutes] = await Promise.all([unsafeStreamFacts(), unsafeProcessedPerMinute(2)]);
  const perMinute = minutes.length > 1 ? minutes[minutes.length - 2]!.events : 0;
  const sorted = [...streams].sort((a, b) => (b.oldestAgeSeconds ?? -1) - (a.oldestAgeSeconds ?? -1) || b.backlog - a.backlog);
  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <div className="flex items-baseline justify-between">
        <h1 className="text-2xl font-semibold">Event streams</h1>
        <ReadAt />
      </div>
      <Section title="Backlog per project and lane" testId="streams">
        <p className="text-sm text-slate-600" data-testid="drain-rate">
          Drain rate (all lanes): {count(perMinute)} events/min in the last complete minute.
        </p>
        <Table head={["Project", "Lane", "Backlog", "Bytes", "Oldest entry", "Drain time ≥"]} empty="Every stream is drained." testId="stream-rows">
          {sorted.map((s) => (
            <tr key={`${s.projectId}:${s.lane}`} data-testid="stream-row" data-project-id={s.projectId}>
              <td className={cell}>
                {s.orgSlug}/{s.projectSlug} <span className="text-xs text-slate-500">#{s.projectId}</span>
              </td>
              <td className={cell}>{s.lane === 0 ? "0 (ordered)" : s.lane}</td>
              <td className={cell}>{count(s.backlog)}</td>
              <td className={cell}>{bytes(s.bytes)}</td>
              <td className={`${cell} ${(s.oldestAgeSeconds ?? 0) > 300 ? "font-semibold text-red-700" : ""}`}>
                {s.oldestAgeSeconds === null ? "–" : duration(s.oldestAgeSeconds)}
              </td>
              <td className={cell}>{perMinute > 0 ? duration((s.backlog / perMinute) * 60) : "none stored last minute"}</td>
            </tr>
          ))}
        </Table>
      </Section>
    </main>
  );
}
