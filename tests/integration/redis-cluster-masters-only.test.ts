import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allLanes, projectStreamKey } from "@/lib/ingest/stream-keys";
import { createOrgWithProject } from "../support/factories";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { send } from "../support/http";
import { type Running, NODE, WITH_TSX, freePort, start } from "../support/processes";
import { startRedisCluster, type TestCluster } from "../support/redis-cluster";

// A Redis Cluster whose masters have no replica (as one is after a failover, until its old
// master returns, or for its first seconds, before gossip lists the replicas): ingest sends no
// WAIT there, and requests of projects on different masters, accepted in the same tick, must
// each reach their own master. They once shared one auto-pipeline and all got a 503
// (lib/ingest/accept-cluster.ts, acceptWithReplicaWait). The cluster is this file's own.

let cluster: TestCluster;
let ingest: Running;
let base: string;

beforeAll(async () => {
  cluster = await startRedisCluster({ replicas: 0 });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  ingest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { REDIS_CLUSTER_NODES: cluster.nodes, INGEST_PORT: String(port) });
  await ingest.waitFor(/ingest listening/);
}, 180_000);

afterAll(async () => {
  await ingest?.stop("SIGKILL");
  await cluster?.stop();
});

describe("Redis Cluster without replicas", () => {
  it("accepts requests of projects on every master sent all at once", async () => {
    // Projects until each of the three masters serves at least one (ids are sequential, slots
    // spread by hash: a handful is enough).
    const tenants: Awaited<ReturnType<typeof createOrgWithProject>>[] = [];
    const masters = new Set<number>();
    while (masters.size < 3 || tenants.length < 6) {
      const tenant = await createOrgWithProject();
      tenants.push(tenant);
      masters.add(await cluster.masterOf(`{p${tenant.project.id}}`));
      expect(tenants.length, "projects created to cover the masters").toBeLessThan(60);
    }

    const rounds = 5;
    const statuses: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const replies = await Promise.all(
        tenants.map((t) => send(`${base}/api/${t.project.id}/envelope/?sentry_key=${t.key.publicKey}`, { body: eventEnvelope(errorEvent()) })),
      );
      statuses.push(...replies.map((r) => r.status));
    }
    expect(statuses.filter((s) => s !== 200), ingest.output().slice(-2000)).toEqual([]);

    // Each project's items are on its own master's streams, all of them.
    const client = new Cluster(cluster.nodes.split(",").map((n) => ({ host: "127.0.0.1", port: Number(n.split(":")[1]) })));
    try {
      for (const t of tenants) {
        const lengths = await Promise.all(allLanes.map((lane) => client.xlen(projectStreamKey(t.project.id, lane))));
        expect(lengths.reduce((a, b) => a + b), `project ${t.project.id}`).toBe(rounds);
      }
    } finally {
      client.disconnect();
    }
  });
});
