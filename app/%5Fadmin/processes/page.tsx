import type { Metadata } from "next";
import { unsafeListProcesses } from "@/lib/operator";
import { cell, ReadAt, Section, Table } from "../bits";
import { bytes, duration } from "../format";
import { requireOperator } from "../guard";

export const metadata: Metadata = { title: "Processes" };
export const dynamic = "force-dynamic";

/** The web, ingest and worker processes alive: each sends a heartbeat every 10 s, kept 30 s. */
export default async function ProcessesPage() {
  await requireOperator();
  const processes = await unsafeListProcesses();
  const sorted = [...processes].sort((a, b) => a.kind.localeCompare(b.kind) || a.host.localeCompare(b.host) || a.pid - b.pid);
  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <div className="flex items-baseline justify-between">
        <h1 className="text-2xl font-semibold">Processes</h1>
        <ReadAt />
      </div>
      <Section title={`Alive (${processes.length})`} testId="processes">
        <Table head={["Kind", "Host", "PID", "Version", "Uptime", "Memory (RSS)", "Last seen"]} empty="No process has sent a heartbeat in the last 30 s." testId="process-rows">
          {sorted.map((p) => (
            <tr key={`${p.host}:${p.pid}:${p.kind}`} data-testid="process-row" data-kind={p.kind}>
              <td className={cell}>{p.kind}</td>
              <td className={cell}>{p.host}</td>
              <td className={cell}>{p.pid}</td>
              <td className={`${cell} font-mono text-xs`}>{p.version}</td>
              <td className={cell}>{duration(p.uptimeSeconds)}</td>
              <td className={cell}>{bytes(p.rssBytes)}</td>
              <td className={cell}>{duration(p.lastSeenSeconds)} ago</td>
            </tr>
          ))}
        </Table>
      </Section>
    </main>
  );
}
