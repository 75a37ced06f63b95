import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { type Server, type Socket, createServer, connect } from "node:net";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE, WITH_TSX, freePort, start, type Running } from "../support/processes";

// /_health/ of a started ingest process: a flood of checks opens no Postgres or Redis
// connections, and a dependency that is down is reported without naming any host.

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** The local ports of a process's TCP connections to `remotePort` (Linux /proc). */
function localPortsTo(pid: number, remotePort: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed while listing
    }
  }
  const ports = new Set<number>();
  for (const table of ["tcp", "tcp6"]) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9]!)) continue;
      const local = Number.parseInt(fields[1]!.split(":")[1]!, 16);
      const remote = Number.parseInt(fields[2]!.split(":")[1]!, 16);
      if (remote === remotePort) ports.add(local);
    }
  }
  return ports;
}

describe("ingest /_health/ under a flood of checks", () => {
  let ingest: Running;
  let base: string;
  let pgAdmin: pg.Client;
  let redisAdmin: Redis;
  const pgPort = Number(new URL(process.env.DATABASE_URL!).port || 5432);
  const redisPort = Number(new URL(REDIS_URL).port || 6379);

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    ingest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(port) });
    await ingest.waitFor(/ingest listening/);
    pgAdmin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await pgAdmin.connect();
    redisAdmin = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await ingest?.stop("SIGKILL");
    await pgAdmin?.end();
    redisAdmin?.disconnect();
  });

  // Connections of the ingest process as each server sees them: Postgres's sessions and
  // Redis's clients whose address is one of the process's sockets (other test runs share the
  // servers, so totals would not do).
  async function serverSideConnections(): Promise<{ postgres: number; redis: number }> {
    const pid = ingest.child.pid!;
    const pgPorts = [...localPortsTo(pid, pgPort)];
    const redisPorts = localPortsTo(pid, redisPort);
    const { rows } = await pgAdmin.query<{ count: string }>(
      "select count(*) from pg_stat_activity where datname = current_database() and client_port = any($1::int[])",
      [pgPorts],
    );
    const clients = ((await redisAdmin.call("CLIENT", "LIST")) as string)
      .split("\n")
      .filter((line) => redisPorts.has(Number(/ addr=\S+:(\d+) /.exec(` ${line}`)?.[1])));
    return { postgres: Number(rows[0]!.count), redis: clients.length };
  }

  it("answers 200 requests through the connections it already has", async () => {
    const first = await fetch(`${base}/_health/`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true, postgres: "ok", redis: "ok" });
    const before = await serverSideConnections();
    expect(before.postgres).toBeGreaterThan(0);
    expect(before.redis).toBeGreaterThan(0);

    // Sample both servers while 200 checks arrive in 4 bursts over ~1.5 s (so the 1 s cache
    // expires and fresh probes run in between).
    let sampling = true;
    const peak = { ...before };
    const sampler = (async () => {
      while (sampling) {
        const now = await serverSideConnections();
        peak.postgres = Math.max(peak.postgres, now.postgres);
        peak.redis = Math.max(peak.redis, now.redis);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const statuses: number[] = [];
    for (let burst = 0; burst < 4; burst++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => fetch(`${base}/_health/`)));
      for (const answer of answers) {
        statuses.push(answer.status);
        await answer.arrayBuffer();
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    sampling = false;
    await sampler;

    expect(statuses).toEqual(Array(200).fill(200));
    expect(peak).toEqual(before);
    expect(await serverSideConnections()).toEqual(before);
  });
});

describe("ingest /_health/ when Redis goes away", () => {
  let proxy: Server;
  const sockets = new Set<Socket>();
  let ingest: Running | undefined;

  afterAll(async () => {
    await ingest?.stop("SIGKILL");
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => proxy?.close(resolve));
  });

  it("answers 503 with only which dependency is down, and logs the detail", async () => {
    // Ingest refuses to start without Redis, so it connects through a relay to the real
    // Redis, which the test then shuts: Redis went away after start.
    const target = new URL(REDIS_URL);
    proxy = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("error", () => {});
        socket.on("close", () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const relayPort = (proxy.address() as { port: number }).port;
    const port = await freePort();
    ingest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], {
      INGEST_PORT: String(port),
      REDIS_URL: `redis://127.0.0.1:${relayPort}`,
    });
    await ingest.waitFor(/ingest listening/);
    const healthy = await fetch(`http://127.0.0.1:${port}/_health/`);
    expect(await healthy.json()).toEqual({ ok: true, postgres: "ok", redis: "ok" });

    await new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the cached answer

    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${port}/_health/`);
    const body = await res.text();
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(JSON.parse(body)).toEqual({ ok: false, postgres: "ok", redis: "down" });
    for (const secret of ["127.0.0.1", String(relayPort), "redis://", "ECONNREFUSED", new URL(process.env.DATABASE_URL!).pathname.slice(1)]) {
      expect(body).not.toContain(secret);
    }
    // The operator finds the reason in the log instead.
    await ingest.waitFor(/health check: a dependency is down/);
    expect(ingest.child.exitCode).toBeNull();
  });
});

describe("web /_health/ (the route handler Next runs)", () => {
  it("answers the same three fields, never cached by proxies", async () => {
    const { GET } = await import("@/app/%5Fhealth/route");
    const res = await GET();
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ ok: true, postgres: "ok", redis: "ok" });
  });
});
