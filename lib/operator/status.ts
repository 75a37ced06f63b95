import { db, sqlRows } from "../db";
import { allLanes, backlogBytesKey, projectStreamKey } from "../ingest/stream-keys";
import { QUEUES, queue } from "../queues";
import { sendAll } from "../redis";
import { unsafeListProcesses } from "./heartbeat";
import type { OperatorStatus, QueueCounts, StreamFact } from "./types";

/** Everything `admin status` prints and the console's overview shows, read at once. */
export async function unsafeOperatorStatus(now = Date.now()): Promise<OperatorStatus> {
  const [queues, streams, processes, deadLetters] = await Promise.all([
    unsafeQueueCounts(),
    unsafeStreamFacts(now),
    unsafeListProcesses(now),
    db().deadLetter.count(),
  ]);
  return { queues, streams, processes, deadLetters };
}

/** Job counts of every BullMQ queue of the install, by queue name. */
export async function unsafeQueueCounts(): Promise<Record<string, QueueCounts>> {
  const names = Object.values(QUEUES);
  const counts = await Promise.all(
    names.map((name) => queue(name).getJobCounts("waiting", "active", "delayed", "completed", "failed", "prioritized")),
  );
  return Object.fromEntries(
    names.map((name, i) => {
      const c = counts[i]!;
      return [
        name,
        {
          // BullMQ keeps prioritized jobs in a set of their own: they wait their turn too.
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          completed: c.completed ?? 0,
          failed: c.failed ?? 0,
        },
      ];
    }),
  );
}

// Pipelined XLENs per round trip: a 10,000-project install is a few round trips.
const CHUNK = 2000;

/**
 * The lanes with entries waiting, oldest first. The projects come from Postgres (there is no
 * registry of streams in Redis, and a SCAN walks every key of the server, BullMQ's job hashes
 * included): one XLEN per project lane, pipelined, then the first entry and the bytes of the
 * lanes that have a backlog. Bytes are ingest's latest exact measure when it is fresh (ingest
 * keeps it for a second), else MEMORY USAGE of the stream.
 */
export async function unsafeStreamFacts(now = Date.now()): Promise<StreamFact[]> {
  const projects = await sqlRows<{ id: number; project_slug: string; org_slug: string }>`
    select p.id, p.slug as project_slug, o.slug as org_slug
    from projects p join organizations o on o.id = p.org_id order by p.id`;
  const lanes = projects.flatMap((p) => allLanes.map((lane) => ({ project: p, lane })));
  const busy: { project: (typeof projects)[number]; lane: number; backlog: number }[] = [];
  for (let i = 0; i < lanes.length; i += CHUNK) {
    const chunk = lanes.slice(i, i + CHUNK);
    const results = await sendAll(chunk.map(({ project, lane }) => ["xlen", projectStreamKey(project.id, lane)]));
    chunk.forEach((l, j) => {
      const backlog = Number(results[j]?.[1] ?? 0);
      if (backlog > 0) busy.push({ ...l, backlog });
    });
  }
  const facts: StreamFact[] = [];
  for (let i = 0; i < busy.length; i += CHUNK) {
    const chunk = busy.slice(i, i + CHUNK);
    const results = await sendAll(
      chunk.flatMap(({ project, lane }): [string, ...string[]][] => {
        const key = projectStreamKey(project.id, lane);
        return [["xrange", key, "-", "+", "COUNT", "1"], ["get", backlogBytesKey(project.id, lane)], ["memory", "USAGE", key]];
      }),
    );
    chunk.forEach(({ project, lane, backlog }, j) => {
      const first = (results[3 * j]?.[1] as [string, string[]][] | undefined)?.[0];
      const measured = results[3 * j + 1]?.[1] ?? results[3 * j + 2]?.[1];
      const firstMs = first ? Number(first[0].split("-")[0]) : Number.NaN;
      facts.push({
        projectId: project.id,
        orgSlug: project.org_slug,
        projectSlug: project.project_slug,
        lane,
        backlog,
        bytes: Number(measured ?? 0) || 0,
        oldestAgeSeconds: Number.isFinite(firstMs) ? Math.max(0, Math.round((now - firstMs) / 1000)) : null,
      });
    });
  }
  return facts.sort((a, b) => (b.oldestAgeSeconds ?? 0) - (a.oldestAgeSeconds ?? 0) || a.projectId - b.projectId);
}
