/**
 * bench:capacity's private servers: a PostgreSQL cluster and a redis-server of its own, so the
 * CPU, WAL and memory it reads are the benchmark's alone and not those of whatever else shares
 * the machine's servers; and per-process CPU accounting by role over a whole run.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { cleanups, log } from "./harness";
import { freePort, sleep } from "./procs";

const CLOCK_TICKS = 100;

export type Server = { url: string; pid: number };

/** The machine's PostgreSQL binaries (Debian's postgresql-N), newest version. */
function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL binaries under ${root}`);
  return path.join(root, versions.sort((a, b) => Number(b) - Number(a))[0]!, "bin");
}

/** PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` user. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return os.userInfo().uid === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
}

export async function startPostgres(): Promise<Server> {
  const bin = postgresBin();
  const dir = mkdtempSync(path.join(os.tmpdir(), "errorhub-capacity-pg-"));
  chmodSync(dir, 0o777);
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const data = path.join(dir, "data");
  const [initdb, initArgs] = asPostgres(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  execFileSync(initdb, initArgs, { stdio: "ignore" });
  const port = await freePort();
  const [postgres, args] = asPostgres(path.join(bin, "postgres"), [
    ...["-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`],
  ]);
  const server = spawn(postgres, args, { stdio: "ignore" });
  await stopOnCleanup(server, "SIGINT");
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  for (let tries = 0; ; tries++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => {});
      if (tries > 100) throw new Error(`private PostgreSQL did not start: ${(error as Error).message}`);
      await sleep(100);
    }
  }
  const pid = Number(readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  log(`private PostgreSQL ${path.basename(path.dirname(bin))} on port ${port}, postmaster pid ${pid} (default settings)`);
  return { url, pid };
}

export async function startRedis(): Promise<Server> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "errorhub-capacity-redis-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--maxmemory-policy", "noeviction"],
    { stdio: "ignore" },
  );
  await stopOnCleanup(server, "SIGTERM");
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  for (let tries = 0; ; tries++) {
    try {
      await client.connect();
      break;
    } catch {
      if (tries > 100) throw new Error("private redis-server did not start");
      await sleep(100);
    }
  }
  client.disconnect();
  log(`private redis-server on port ${port}, pid ${server.pid} (AOF everysec, as compose.yaml runs it)`);
  return { url, pid: server.pid! };
}

async function stopOnCleanup(server: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  server.on("error", () => {});
  const exited = new Promise((resolve) => server.on("exit", resolve));
  cleanups.push(async () => {
    server.kill(signal);
    await exited;
  });
}

type Stat = { ppid: number; comm: string; args: string; cpu: number; childrenCpu: number };

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    return {
      ppid: Number(fields[1]),
      comm: text.slice(text.indexOf("(") + 1, text.lastIndexOf(")")),
      args,
      cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
      childrenCpu: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS,
    };
  } catch {
    return undefined;
  }
}

export type Role = "ingest" | "worker" | "postgres" | "redis";

/**
 * CPU seconds by role from start() to stop(): ingest and worker are the benchmark's node
 * processes running dist/workers/{ingest,worker}.js (sampled every 200 ms, so ones that come
 * and go are seen); Redis is the private server; PostgreSQL is the private postmaster's own CPU
 * plus its children's: ended backends count in its cutime once reaped, live ones are read.
 */
export class RoleCpu {
  private first = new Map<number, { role: "ingest" | "worker"; cpu: number }>();
  private last = new Map<number, number>();
  private base: { postgres: number; redis: number } = { postgres: 0, redis: 0 };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly postmaster: number,
    private readonly redis: number,
  ) {}

  start(): void {
    this.base = { postgres: this.postgresCpu(), redis: stat(this.redis)?.cpu ?? 0 };
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), 200);
  }

  stop(): Record<Role, number> {
    clearInterval(this.timer);
    this.sample(false);
    const used: Record<Role, number> = {
      ingest: 0,
      worker: 0,
      postgres: this.postgresCpu() - this.base.postgres,
      redis: (stat(this.redis)?.cpu ?? 0) - this.base.redis,
    };
    for (const [pid, { role, cpu }] of this.first) used[role] += (this.last.get(pid) ?? cpu) - cpu;
    return used;
  }

  private postgresCpu(): number {
    let total = 0;
    for (const [pid, s] of processes()) {
      if (pid === this.postmaster) total += s.cpu + s.childrenCpu;
      else if (s.ppid === this.postmaster) total += s.cpu;
    }
    return total;
  }

  private sample(initial: boolean): void {
    for (const [pid, s] of processes()) {
      const role = /dist\/workers\/(ingest|worker)\.js/.exec(s.args)?.[1] as "ingest" | "worker" | undefined;
      if (!role) continue;
      if (!this.first.has(pid)) this.first.set(pid, { role, cpu: initial ? s.cpu : 0 });
      this.last.set(pid, s.cpu);
    }
  }
}

function* processes(): Generator<[number, Stat]> {
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (s) yield [pid, s];
  }
}
