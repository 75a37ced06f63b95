// What the read replica costs and how soon a change is seen there, on a private primary and
// replica (tests/support/replica.ts): `npx tsx tests/support/replica-bench.ts`.
//   - the routing decision per request (Redis GET of the user's marker; the replica's replay
//     position is probed at most once a second), with and without a marker;
//   - an issue list read on the primary and on the replica (same plan, same data);
//   - how long after a change its writer's reads are back on the replica (replay lag here);
//   - what the replica's Prisma client adds to a process's memory.
import { migrate } from "../../lib/migrate";
import { startReplicaPair } from "./replica";

const ROUNDS = 2_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function timed(label: string, rounds: number, fn: () => Promise<unknown>) {
  for (let i = 0; i < 50; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  times.sort((x, y) => x - y);
  console.log(`${label}: p50 ${percentile(times, 50).toFixed(0)} us, p95 ${percentile(times, 95).toFixed(0)} us (${rounds} rounds)`);
}

const rssMb = () => {
  global.gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
};

const pair = await startReplicaPair(`errorhub_replica_bench_${process.pid}`, migrate);
process.env.DATABASE_URL = pair.primaryUrl;
process.env.DATABASE_REPLICA_URL = pair.replicaUrl;
process.env.REDIS_PREFIX = `replicabench${process.pid}`;
process.env.LOG_LEVEL = "warn";
const { closeDb, db, dbRead, duringWrite, markWritten, readsOnReplica } = await import("../../lib/db");
const { closeRedis } = await import("../../lib/redis");
const { listIssues } = await import("../../lib/issues/list");
try {
  const user = await db().user.create({ data: { email: `bench-${process.pid}@example.com` } });
  const org = await db().organization.create({
    data: { slug: `bench-${process.pid}`, name: "bench", memberships: { create: { userId: user.id, role: "owner" } } },
  });
  const project = await db().project.create({ data: { orgId: org.id, slug: "bench", name: "bench" } });
  const now = Date.now();
  await db().issue.createMany({
    data: Array.from({ length: 500 }, (_, i) => ({
      projectId: project.id,
      shortId: i + 1,
      title: `issue ${i}`,
      firstSeen: new Date(now - i * 60_000),
      lastSeen: new Date(now - i * 60_000),
    })),
  });
  await pair.waitForReplay();
  const viewer = () => ({ userId: user.id, orgId: org.id, role: "owner" as const });

  const beforeReplicaClient = rssMb();
  await (await dbRead(viewer())).issue.count();
  const afterReplicaClient = rssMb();
  console.log(
    `replica Prisma client: +${(afterReplicaClient - beforeReplicaClient).toFixed(1)} MB RSS (${beforeReplicaClient.toFixed(0)} -> ${afterReplicaClient.toFixed(0)} MB, after its first query)`,
  );

  await timed("routing decision, no marker", ROUNDS, () => readsOnReplica(viewer()));
  await markWritten(user.id);
  await pair.waitForReplay();
  await timed("routing decision, marker already replayed", ROUNDS, () => readsOnReplica(viewer()));

  // The same list on the replica and on the primary (a write's own reads, and its user's until
  // replayed), alternated so both see the same load on a shared machine.
  const list = { replica: [] as number[], primary: [] as number[] };
  for (let i = 0; i < 330; i++) {
    for (const where of ["replica", "primary"] as const) {
      const start = process.hrtime.bigint();
      if (where === "replica") await listIssues(viewer(), { query: "" });
      else await duringWrite(() => listIssues(viewer(), { query: "" }), () => undefined);
      if (i >= 30) list[where].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  for (const where of ["replica", "primary"] as const) {
    const times = list[where].sort((x, y) => x - y);
    console.log(`issue list (25 of 500 issues), ${where}: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms`);
  }

  const lags: number[] = [];
  for (let i = 0; i < 50; i++) {
    await db().issue.update({ where: { projectId_shortId: { projectId: project.id, shortId: 1 } }, data: { title: `t${i}` } });
    await markWritten(user.id);
    const start = Date.now();
    while (!(await readsOnReplica(viewer()))) await new Promise((resolve) => setTimeout(resolve, 1));
    lags.push(Date.now() - start);
  }
  lags.sort((x, y) => x - y);
  console.log(`writer back on the replica after a change: p50 ${percentile(lags, 50)} ms, max ${lags.at(-1)} ms (50 changes)`);
} finally {
  await closeDb();
  await closeRedis();
  await pair.stop();
}
