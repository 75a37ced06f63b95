import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
// TypeScript entries run as `npm start` runs them: `node --import tsx <entry>`, not through
// tsx's CLI, which SIGKILLs its child when the child does not acknowledge a relayed SIGTERM
// within 30 ms: on a loaded machine, a stop test then saw exit code 143 instead of a clean 0.
export const NODE = process.execPath;
export const WITH_TSX = ["--import", "tsx"];

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export type Running = {
  child: ChildProcess;
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and resolves with the exit code and how long the exit took. */
  stop: (signal?: NodeJS.Signals) => Promise<{ code: number | null; ms: number }>;
};

/** Starts a command from the project root, collecting stdout and stderr together. */
export function start(command: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so a SIGKILL cleanup reaches grandchildren (tsx, npm and the
    // launcher all run further processes) and nothing outlives the test.
    detached: true,
  });
  let output = "";
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const check of waiters) check();
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      for (const check of waiters) check();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`));
        }, timeoutMs);
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(match);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`process exited (${child.exitCode}) before ${pattern}; output:\n${output}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      const began = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      if (signal === "SIGKILL") killGroup(child);
      const { code } = await exited;
      return { code, ms: Date.now() - began };
    },
  };
}

/** Runs a command to completion. */
export async function run(command: string, args: string[], env: Record<string, string> = {}) {
  const running = start(command, args, env);
  const { code } = await running.exited;
  return { code, output: running.output() };
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // the group is already gone
  }
}

/**
 * `next start` of the existing production build (built first when there is none) on a free
 * port, once its health check answers 200: the first answers may come while it still connects.
 */
export async function startNextServer(env: Record<string, string> = {}): Promise<{ process: Running; url: string }> {
  if (!existsSync(path.join(ROOT, ".next/BUILD_ID"))) {
    const build = await run("npm", ["run", "build"]);
    if (build.code !== 0) throw new Error(`npm run build failed:\n${build.output}`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = start(path.join(ROOT, "node_modules/.bin/next"), ["start", "--port", String(port), "--hostname", "127.0.0.1"], {
    NODE_ENV: "production",
    APP_URL: url,
    ...env,
  });
  const deadline = Date.now() + 120_000;
  let health = await waitForHttp(`${url}/_health/`, 120_000);
  while (health.status !== 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    health = await fetch(`${url}/_health/`);
  }
  if (health.status !== 200) throw new Error(`next start never became healthy:\n${server.output()}`);
  return { process: server, url };
}

/** `npm start` (web, ingest and worker) on free ports, once the web answers its health check. */
export async function startPlatform(env: Record<string, string> = {}): Promise<{ process: Running; web: string; ingest: string }> {
  const [port, ingestPort] = [await freePort(), await freePort()];
  const web = `http://localhost:${port}`;
  const ingest = `http://localhost:${ingestPort}`;
  const platform = start("npm", ["start"], { PORT: String(port), INGEST_PORT: String(ingestPort), APP_URL: web, INGEST_URL: ingest, ...env });
  await waitForHttp(`${web}/_health/`, 180_000);
  return { process: platform, web, ingest };
}

/** The processes below `root` (npm, sh and node levels of a launcher's children), from ps. */
export function descendants(root: number): { pid: number; args: string }[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/)!)
    .map(([, pid, ppid, args]) => ({ pid: Number(pid), ppid: Number(ppid), args: args! }));
  const below = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) if (below.has(row.ppid) && !below.has(row.pid)) grew = below.add(row.pid).size > 0;
  }
  return rows.filter((row) => below.has(row.pid) && row.pid !== root);
}
