import "@/lib/node-version"; // first: on a too old Node.js, one line before anything else loads
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { unsafeCreateDemoAccount } from "@/lib/bootstrap";
import { closeDb } from "@/lib/db";
import { stopEmbeddedPostgres } from "@/lib/database-url";
import { dataPath, env } from "@/lib/env";
import { dataPlaces } from "@/lib/ops/places";
import { turnTelemetryOff } from "@/lib/ops/telemetry";
import { EXIT_CONFIG, boot } from "@/lib/runtime";
import { binPath } from "./children";

// `npm start` (and `npm run dev` with --dev): one command that brings the whole platform up.
// It builds when there is no build, finds or starts PostgreSQL, migrates, makes sure the demo
// account exists, then runs web, ingest and worker as child processes until told to stop.

const dev = process.argv.includes("--dev");
type Service = "web" | "ingest" | "worker";
const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;
const RESTART_RESET_MS = 60_000;

// Before anything runs: every process started from here (the build, web, ingest, worker)
// inherits this environment, so none of them phones home unless the operator said so.
turnTelemetryOff(process.env);
// Whether the database is the embedded one, asked before boot() fills DATABASE_URL in; a bad
// configuration is left for boot() to report in one line.
let embedded = false;
try {
  embedded = !env().DATABASE_URL;
} catch {}
await boot({ migrate: true, dataDir: true }); // DATA_DIR: the demo login, maybe the database

// Every file the services run, including the source-map parse thread's bundle (a build from
// before it existed would symbolicate nothing).
const BUILD_OUTPUTS = [".next/BUILD_ID", "dist/workers/worker.js", "dist/workers/sourcemap-thread.js"];
if (!dev && !BUILD_OUTPUTS.every((file) => existsSync(file))) {
  console.log("No production build yet: running `npm run build` first (a minute or two).");
  const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
  if (build.status !== 0) {
    await stopEmbeddedPostgres();
    process.exit(build.status ?? 1);
  }
}
const demo = env().DEMO_ACCOUNT === "on" ? await ensureDemoAccount() : undefined;
const places = dataPlaces(embedded);
await closeDb();

const children = new Map<Service, ChildProcess>();
for (const service of ["web", "ingest", "worker"] as const) supervise(service);

// A child that dies on its own (a crash, the OOM killer) is started again after a pause that
// doubles from 1 s to 30 s, back to 1 s once it stayed up a minute: the others keep running,
// so a dead ingest costs only the events sent while it was down. SIGTERM/SIGINT stop them all.
// A child that exits with EXIT_CONFIG (its port is taken) would fail the same way forever: it
// has said why in one line, and the platform stops with that exit code.
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => stopChildren(signal));

function stopChildren(signal: NodeJS.Signals): void {
  stopping = true;
  for (const child of children.values()) if (running(child)) child.kill(signal);
  if (![...children.values()].some(running)) void stopAll(); // all were waiting to restart
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function supervise(service: Service, delayMs = RESTART_MIN_MS): void {
  const child = run(service);
  const startedAt = Date.now();
  children.set(service, child);
  child.on("exit", (code, signal) => {
    if (stopping) {
      if (![...children.values()].some(running)) void stopAll();
      return;
    }
    if (code === EXIT_CONFIG) {
      process.exitCode = EXIT_CONFIG;
      stopChildren("SIGTERM");
      return;
    }
    const wait = Date.now() - startedAt > RESTART_RESET_MS ? RESTART_MIN_MS : delayMs;
    console.error(`error: ${service} exited (${signal ?? `code ${code}`}); restarting it in ${wait / 1000} s`);
    setTimeout(() => {
      if (!stopping) supervise(service, Math.min(wait * 2, RESTART_MAX_MS));
    }, wait);
  });
}

async function stopAll(): Promise<void> {
  await stopEmbeddedPostgres();
  process.exit();
}

function run(service: Service): ChildProcess {
  const [command, args] = dev
    ? [binPath("tsx"), service === "web" ? ["workers/web.ts", "--dev"] : ["watch", "--clear-screen=false", `workers/${service}.ts`]]
    : ["npm", ["run", "--silent", `start:${service}`]]; // one definition of how each process runs
  const child = spawn(command, args, { stdio: "inherit", env: { ...process.env, NODE_ENV: dev ? "development" : "production" } });
  child.once("spawn", () => {
    if (service === "worker" && !announced) announce();
  });
  return child;
}

let announced = false;
function announce(): void {
  announced = true;
  const lines = [
    "",
    "errorhub is starting:",
    `  web     ${env().APP_URL}`,
    `  ingest  ${env().INGEST_URL}`,
    `  data    ${places.database}`,
    `  blobs   ${places.blobs}`,
    "  backup  npm run admin -- backup --out errorhub-backup.tar.gz (restore: --in FILE; see README)",
  ];
  if (demo?.created) {
    lines.push(
      `  sign in ${demo.created.email} / ${demo.created.password}`,
      `  DSN     ${demo.created.dsn}`,
      `  token   ${demo.created.token}`,
    );
  } else if (demo) {
    lines.push(`  demo    the first run's login, DSN and token are in ${demo.file}`);
  }
  console.log(`${lines.join("\n")}\n`);
}

/**
 * On a database without users, the demo account is created with a random password and its
 * login, DSN and token kept under DATA_DIR (mode 0600) and printed once; later starts grant
 * nothing and only say where that file is.
 */
async function ensureDemoAccount(): Promise<{ file: string; created?: { email: string; password: string; dsn: string; token: string | null } }> {
  const file = dataPath("demo-login.json");
  const login = { email: "demo@errorhub.local", password: randomBytes(9).toString("base64url") };
  const created = await unsafeCreateDemoAccount(login);
  if (!created) return { file };
  writeFileSync(file, JSON.stringify({ ...login, dsn: created.dsn, token: created.token }), { mode: 0o600 });
  return { file, created: { ...login, dsn: created.dsn, token: created.token } };
}
