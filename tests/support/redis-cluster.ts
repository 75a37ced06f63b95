import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** One redis-server of a test cluster. */
export type ClusterNode = { port: number; process: ChildProcess };

export type TestCluster = {
  /** REDIS_CLUSTER_NODES for this cluster: every node, masters and replicas. */
  nodes: string;
  servers: ClusterNode[];
  /** The node's role and, for a replica, the port of its master (CLUSTER NODES). */
  roles(): Promise<Map<number, { role: "master" | "replica"; masterPort?: number; slots: boolean }>>;
  /** The port of the master that serves the slot of `key` (a hash tag such as "{p7}" will do). */
  masterOf(key: string): Promise<number>;
  /** Runs redis-cli against one node. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** Waits until every node says cluster_state:ok and knows `masters` masters with slots. */
  waitHealthy(masters?: number): Promise<void>;
  stop(): Promise<void>;
};

/**
 * A real Redis Cluster of `masters` masters with `replicas` replicas each, on free local ports, as
 * child processes of this one (nothing is daemonized, so a crashed test leaves nothing behind
 * once its process is gone). `nodeTimeoutMs` is cluster-node-timeout: how long a silent master
 * takes to be failed over automatically.
 */
export async function startRedisCluster({ masters = 3, replicas = 1, nodeTimeoutMs = 2000 } = {}): Promise<TestCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), "errorhub-redis-cluster-"));
  const ports = await freePorts(masters * (1 + replicas));
  const servers: ClusterNode[] = ports.map((port) => ({ port, process: startNode(dir, port, nodeTimeoutMs) }));
  const cli = async (port: number, ...args: string[]) => (await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args])).stdout;
  const cluster: TestCluster = {
    nodes: ports.map((p) => `127.0.0.1:${p}`).join(","),
    servers,
    cli,
    async roles() {
      const roles = new Map<number, { role: "master" | "replica"; masterPort?: number; slots: boolean }>();
      const alive = servers.find((s) => s.process.exitCode === null && s.process.signalCode === null)!;
      const lines = (await cli(alive.port, "cluster", "nodes")).trim().split("\n");
      const portOf = new Map(lines.map((l) => l.split(" ")).map(([id, address]) => [id!, Number(address!.split(/[:@]/)[1])]));
      for (const parts of lines.map((l) => l.split(" "))) {
        const port = Number(parts[1]!.split(/[:@]/)[1]);
        const flags = parts[2]!;
        if (flags.includes("fail") && !flags.includes("master")) continue;
        const role = flags.includes("master") ? "master" : "replica";
        roles.set(port, { role, masterPort: role === "replica" ? portOf.get(parts[3]!) : undefined, slots: parts.length > 8 });
      }
      return roles;
    },
    async masterOf(key) {
      const alive = servers.find((s) => s.process.exitCode === null && s.process.signalCode === null)!;
      const slot = Number((await cli(alive.port, "cluster", "keyslot", key)).trim());
      for (const parts of (await cli(alive.port, "cluster", "nodes")).trim().split("\n").map((l) => l.split(" "))) {
        if (!parts[2]!.includes("master") || parts[2]!.includes("fail")) continue;
        for (const range of parts.slice(8)) {
          const [from, to = from] = range.split("-").map(Number);
          if (slot >= from! && slot <= to!) return Number(parts[1]!.split(/[:@]/)[1]);
        }
      }
      throw new Error(`no master serves slot ${slot}`);
    },
    async waitHealthy(expectedMasters = masters) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const alive = servers.filter((s) => s.process.exitCode === null && s.process.signalCode === null);
        const states = await Promise.all(alive.map((s) => cli(s.port, "cluster", "info").catch(() => "")));
        const ok = states.every((info) => info.includes("cluster_state:ok") && info.includes(`cluster_size:${expectedMasters}`));
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`Redis Cluster not healthy after 60 s:\n${states.join("\n")}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.process.exitCode !== null || s.process.signalCode !== null) return resolve();
              s.process.once("exit", () => resolve());
              s.process.kill("SIGKILL");
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(ports.map((port) => waitForPing(cli, port)));
    // redis-cli pairs the first `masters` nodes as masters and gives each one of the rest.
    await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", String(replicas), "--cluster-yes"]);
    await cluster.waitHealthy();
    await waitForReplicas(cluster, masters * replicas);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

function startNode(dir: string, port: number, nodeTimeoutMs: number): ChildProcess {
  // No persistence: these nodes live for one test run, and durability across a failover comes
  // from ingest's WAIT for the replica (README, Redis Cluster), not from a disk.
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--cluster-enabled", "yes",
    "--cluster-config-file", path.join(dir, `nodes-${port}.conf`),
    "--cluster-node-timeout", String(nodeTimeoutMs),
    "--dir", dir,
    "--dbfilename", `dump-${port}.rdb`,
    "--save", "",
    "--appendonly", "no",
    "--daemonize", "no",
    "--protected-mode", "no",
  ];
  const child = spawn("redis-server", args, { stdio: "ignore" });
  child.unref();
  return child;
}

async function waitForPing(cli: TestCluster["cli"], port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if ((await cli(port, "ping").catch(() => "")).trim() === "PONG") return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Until each master's replicas are in sync: a failover test needs one to promote. */
async function waitForReplicas(cluster: TestCluster, replicas: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const infos = await Promise.all(cluster.servers.map((s) => cluster.cli(s.port, "info", "replication")));
    const synced = infos.filter((i) => i.includes("role:slave") && i.includes("master_link_status:up")).length;
    if (synced >= replicas) return;
    if (Date.now() > deadline) throw new Error(`only ${synced} of ${replicas} replicas in sync after 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function freePorts(count: number): Promise<number[]> {
  // A cluster node also listens on its port + 10000 (the cluster bus): both must be free.
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (port + 10000 > 65535 || ports.includes(port)) continue;
    if (await isFree(port + 10000)) ports.push(port);
  }
  return ports;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
