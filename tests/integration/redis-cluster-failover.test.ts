import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { createOrgWithProject } from "../support/factories";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { send } from "../support/http";
import { type Running, NODE, WITH_TSX, freePort, start } from "../support/processes";
import { startRedisCluster, type TestCluster } from "../support/redis-cluster";

// A Redis Cluster master dies mid-flood, its replica cut off from it a moment before: every
// event ingest answered 200 for must be stored. Redis replicates asynchronously, so this holds
// only because ingest waits (WAIT 1) for the replica to hold each accepted entry before it
// answers 200, and answers 503 when none confirms (lib/ingest/accept-cluster.ts).
// The cluster is this file's own (it kills a node of it); ingest and worker are processes.

let cluster: TestCluster;
let ingest: Running;
let worker: Running;
let base: string;

beforeAll(async () => {
  cluster = await startRedisCluster({ nodeTimeoutMs: 2000 });
  const env = { REDIS_CLUSTER_NODES: cluster.nodes };
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  ingest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { ...env, INGEST_PORT: String(port) });
  worker = start(NODE, [...WITH_TSX, "workers/worker.ts"], env);
  await Promise.all([ingest.waitFor(/ingest listening/), worker.waitFor(/worker started/)]);
}, 180_000);

afterAll(async () => {
  await ingest?.stop("SIGKILL");
  await worker?.stop("SIGKILL");
  await cluster?.stop();
});

describe("Redis Cluster failover", () => {
  it("loses no event acknowledged with 200 when the master holding the project's streams dies mid-flood, its replica cut off just before", async () => {
    const tenant = await createOrgWithProject();
    const url = `${base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`;
    const master = await cluster.masterOf(`{p${tenant.project.id}}`);
    const replica = [...(await cluster.roles())].find(([, node]) => node.masterPort === master)?.[0];
    expect(replica, "the master's replica").toBeDefined();

    const acknowledged: string[] = [];
    const refused = new Map<number, number>();
    let killedAt = -1;
    let acknowledgedWhileCut = -1;
    let stop = false;
    const sender = async () => {
      while (!stop) {
        const res = await send(url, { body: eventEnvelope(errorEvent({ message: `flood ${acknowledged.length % 40}`, exception: undefined })) }).catch(() => ({ status: 0, json: () => ({}) }));
        if (res.status === 200) acknowledged.push(res.json().id);
        else refused.set(res.status, (refused.get(res.status) ?? 0) + 1);
      }
    };
    const senders = Array.from({ length: 16 }, sender);

    await waitUntil(() => acknowledged.length >= 1500, 60_000);
    // The replica falls behind first: stopped, and its link to the master cut, so what the
    // master takes from now on reaches no replica (as when the network between them fails).
    // Asynchronous replication would still answer 200 for it; then the master dies, the
    // replica is promoted without it, and those events would be gone.
    const replicaProcess = cluster.servers.find((s) => s.port === replica)!.process;
    replicaProcess.kill("SIGSTOP");
    await cluster.cli(master, "client", "kill", "type", "replica");
    const cutAt = acknowledged.length;
    await new Promise((r) => setTimeout(r, 1500));
    acknowledgedWhileCut = acknowledged.length - cutAt;
    // SIGKILL: no chance to hand anything over. TAKEOVER promotes the replica at once, without
    // the agreement of the other masters (the way an operator forces it; cluster-node-timeout
    // would fail it over in ~2 s anyway).
    cluster.servers.find((s) => s.port === master)!.process.kill("SIGKILL");
    killedAt = acknowledged.length;
    replicaProcess.kill("SIGCONT");
    await cluster.cli(replica!, "cluster", "failover", "takeover");
    await cluster.waitHealthy();
    await waitUntil(() => acknowledged.length >= killedAt + 1500, 60_000, () => `acknowledged ${acknowledged.length}, ${killedAt} before the kill; refused ${JSON.stringify(Object.fromEntries(refused))}; ingest:\n${ingest.output().slice(-3000)}`);
    stop = true;
    await Promise.all(senders);

    const ids = [...acknowledged];
    await expect
      .poll(() => db().event.count({ where: { projectId: tenant.project.id, eventId: { in: ids } } }), { timeout: 150_000, interval: 500 })
      .toBe(ids.length);
    // Each event counted once, also those of batches redelivered after the failover.
    const issues = await db().issue.findMany({ where: { projectId: tenant.project.id } });
    expect(issues.reduce((n, i) => n + i.timesSeen, 0)).toBe(await db().event.count({ where: { projectId: tenant.project.id } }));
    console.info(`failover: ${ids.length} acknowledged (${killedAt} before the kill, ${acknowledgedWhileCut} while the replica was cut off), refused ${JSON.stringify(Object.fromEntries(refused))}`);
  }, 300_000);
});

async function waitUntil(condition: () => boolean, timeoutMs: number, state = () => ""): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${state()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
