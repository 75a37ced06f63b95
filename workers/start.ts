import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { unsafeBootstrap } from "@/lib/bootstrap";
import { closeDb } from "@/lib/db";
import { stopEmbeddedPostgres } from "@/lib/database-url";
import { dataPath, env } from "@/lib/env";
import { boot } from "@/lib/runtime";
import { binPath, forwardSignals } from "./children";

// `npm start` (and `npm run dev` with --dev): one command that brings the whole platform up.
// It builds when there is no build, finds or starts PostgreSQL, migrates, makes sure the demo
// account exists, then runs web, ingest and worker as child processes until told to stop.

const dev = process.argv.includes("--dev");

await boot({ migrate: true });

if (!dev && !(existsSync(".next/BUILD_ID") && existsSync("dist/workers/worker.js"))) {
  console.log("No production build yet: running `npm run build` first (a minute or two).");
  const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
  if (build.status !== 0) {
    await stopEmbeddedPostgres();
    process.exit(build.status ?? 1);
  }
}
const demo = env().DEMO_ACCOUNT === "on" ? await ensureDemoAccount() : undefined;
await closeDb();

const children = [run("web"), run("ingest"), run("worker")];
forwardSignals(children);

// If one process dies on its own, stop the others: a half-running platform is worse than none.
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => (stopping = true));
await Promise.all(
  children.map(
    (child) =>
      new Promise<void>((resolve) =>
        child.on("exit", (code) => {
          if (!stopping && code !== 0) {
            stopping = true;
            console.error(`error: ${child.spawnfile} exited with ${code}; stopping the others`);
            for (const other of children) if (other.exitCode === null) other.kill("SIGTERM");
            process.exitCode = 1;
          }
          resolve();
        }),
      ),
  ),
);
await stopEmbeddedPostgres();
process.exit();

function run(service: "web" | "ingest" | "worker"): ChildProcess {
  const [command, args] = dev
    ? [binPath("tsx"), service === "web" ? ["workers/web.ts", "--dev"] : ["watch", "--clear-screen=false", `workers/${service}.ts`]]
    : ["npm", ["run", "--silent", `start:${service}`]]; // one definition of how each process runs
  const child = spawn(command, args, { stdio: "inherit", env: { ...process.env, NODE_ENV: dev ? "development" : "production" } });
  child.once("spawn", () => {
    if (service === "worker") announce();
  });
  return child;
}

function announce(): void {
  const lines = [
    "",
    "errorhub is starting:",
    `  web     ${env().APP_URL}`,
    `  ingest  ${env().INGEST_URL}`,
  ];
  if (demo) {
    lines.push(
      `  sign in ${demo.email} / ${demo.password}`,
      `  DSN     ${demo.dsn}`,
      `  token   ${demo.token}`,
    );
  }
  console.log(`${lines.join("\n")}\n`);
}

/** The demo login is created once with a random password, kept under DATA_DIR. */
async function ensureDemoAccount() {
  const file = dataPath("demo-login.json");
  const login: { email: string; password: string } = existsSync(file)
    ? JSON.parse(readFileSync(file, "utf8"))
    : { email: "demo@errorhub.local", password: randomBytes(9).toString("base64url") };
  if (!existsSync(file)) writeFileSync(file, JSON.stringify(login), { mode: 0o600 });
  const result = await unsafeBootstrap({ ...login, org: "demo", project: "demo", platform: "node" });
  return { ...login, ...result };
}
