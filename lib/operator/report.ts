import { unsafeOperatorStatus } from "./status";
import type { OperatorStatus } from "./types";

// `npm run admin -- status`: the operator facts for scripts and monitoring. The JSON is the
// documented shape (README, "Operator console"), kept apart from OperatorStatus so the console
// can show more without changing what scripts read: streams per project (its lanes summed,
// the oldest entry of any lane), queues without the completed count.

export type StatusJson = {
  queues: Record<string, { waiting: number; active: number; delayed: number; failed: number }>;
  streams: { projectId: number; backlog: number; bytes: number; oldestAgeSeconds: number | null }[];
  processes: { kind: "web" | "ingest" | "worker"; host: string; pid: number; version: string; uptimeSeconds: number; rssBytes: number }[];
  deadLetters: number;
};

export const DEFAULT_MAX_AGE_SECONDS = 300;

export function statusJson(status: OperatorStatus): StatusJson {
  const byProject = new Map<number, StatusJson["streams"][number]>();
  for (const s of status.streams) {
    const p = byProject.get(s.projectId) ?? { projectId: s.projectId, backlog: 0, bytes: 0, oldestAgeSeconds: null };
    p.backlog += s.backlog;
    p.bytes += s.bytes;
    if (s.oldestAgeSeconds !== null) p.oldestAgeSeconds = Math.max(p.oldestAgeSeconds ?? 0, s.oldestAgeSeconds);
    byProject.set(s.projectId, p);
  }
  return {
    queues: Object.fromEntries(
      Object.entries(status.queues).map(([name, q]) => [name, { waiting: q.waiting, active: q.active, delayed: q.delayed, failed: q.failed }]),
    ),
    streams: [...byProject.values()].sort((a, b) => (b.oldestAgeSeconds ?? 0) - (a.oldestAgeSeconds ?? 0) || a.projectId - b.projectId),
    processes: status.processes.map(({ kind, host, pid, version, uptimeSeconds, rssBytes }) => ({ kind, host, pid, version, uptimeSeconds, rssBytes })),
    deadLetters: status.deadLetters,
  };
}

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function statusText(json: StatusJson, maxAgeSeconds: number): string {
  const queues = table(
    ["queue", "waiting", "active", "delayed", "failed"],
    Object.entries(json.queues).map(([name, q]) => [name, q.waiting, q.active, q.delayed, q.failed]),
  );
  const streams = json.streams.length
    ? table(
        ["project", "backlog", "bytes", "oldest"],
        json.streams.map((s) => [
          s.projectId,
          s.backlog,
          s.bytes,
          s.oldestAgeSeconds === null ? "-" : `${s.oldestAgeSeconds}s${s.oldestAgeSeconds > maxAgeSeconds ? " (late)" : ""}`,
        ]),
      )
    : "streams: nothing waiting";
  const processes = json.processes.length
    ? table(
        ["process", "host", "pid", "version", "uptime", "memory"],
        json.processes.map((p) => [p.kind, p.host, p.pid, p.version, `${p.uptimeSeconds}s`, mb(p.rssBytes)]),
      )
    : "processes: none alive (no heartbeat within 30 s)";
  return [queues, streams, processes, `dead letters: ${json.deadLetters}`].join("\n\n");
}

/** The status, as JSON and as text, and whether a stream's oldest entry is older than maxAgeSeconds. */
export async function unsafeStatusReport(maxAgeSeconds = DEFAULT_MAX_AGE_SECONDS): Promise<{ json: StatusJson; text: string; late: boolean }> {
  const json = statusJson(await unsafeOperatorStatus());
  const late = json.streams.some((s) => s.oldestAgeSeconds !== null && s.oldestAgeSeconds > maxAgeSeconds);
  return { json, text: statusText(json, maxAgeSeconds), late };
}
