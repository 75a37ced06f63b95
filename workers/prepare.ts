import "@/lib/node-version"; // first: on a too old Node.js, one line before anything else loads
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { unsafeCreateDemoAccount } from "@/lib/bootstrap";
import { closeDb } from "@/lib/db";
import { runEmbeddedPostgresWith } from "@/lib/database-url";
import type { PostgresCommand } from "@/lib/embedded-postgres";
import { dataPath, env } from "@/lib/env";
import { dataPlaces } from "@/lib/ops/places";
import { turnTelemetryOff } from "@/lib/ops/telemetry";
import { EXIT_CONFIG, boot, fail } from "@/lib/runtime";

// npm start's first-run work, run by the launcher (workers/start.mjs) as a child so that what
// it loads (tsx, Prisma, the app's code) is gone once the platform runs: it builds when there
// is no build, finds or starts PostgreSQL, migrates, makes sure the demo account exists, then
// hands the launcher what the services need and ends. Its messages, over the IPC channel:
//   -> { type: "postgres", command }  run the embedded server (the launcher outlives this step);
//   <- { type: "postgres", error? }   it accepts connections, or why it could not start;
//   -> { type: "ready", env, announce, exitConfig }  what to add to the services' environment,
//      the lines to print once they start, and the exit code on which the platform stops.
// A failure is one line on stderr and a non-zero exit code, which the launcher exits with.

type FromLauncher = { type: "postgres"; error?: string };
const send = process.send?.bind(process);
if (!send) fail("workers/prepare.ts is npm start's first step: run `npm start` (or `npm run dev`)");

const dev = process.argv.includes("--dev");
const environmentBefore = { ...process.env };
// Before anything runs: every process started from here on (the build, web, ingest, worker)
// gets this environment, so none of them phones home unless the operator said so.
turnTelemetryOff(process.env);
// Whether the database is the embedded one, asked before boot() fills DATABASE_URL in; a bad
// configuration is left for boot() to report in one line.
let embedded = false;
try {
  embedded = !env().DATABASE_URL;
} catch {}
runEmbeddedPostgresWith(runByLauncher);
await boot({ migrate: true, dataDir: true }); // DATA_DIR: the demo login, maybe the database

// Every file the services run, including the source-map parse thread's bundle (a build from
// before it existed would symbolicate nothing).
const BUILD_OUTPUTS = [".next/BUILD_ID", "dist/workers/worker.js", "dist/workers/sourcemap-thread.js"];
if (!dev && !BUILD_OUTPUTS.every((file) => existsSync(file))) {
  console.log("No production build yet: running `npm run build` first (a minute or two).");
  const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const demo = env().DEMO_ACCOUNT === "on" ? await ensureDemoAccount() : undefined;
await closeDb();
send({ type: "ready", env: changedEnvironment(), announce: announcement(), exitConfig: EXIT_CONFIG }, () => process.exit(0));

/** Asks the launcher to run the embedded server; resolves once it accepts connections. */
function runByLauncher(command: PostgresCommand): Promise<void> {
  return new Promise((resolve, reject) => {
    const answer = (message: FromLauncher) => {
      if (message?.type !== "postgres") return;
      process.off("message", answer);
      if (message.error) reject(new Error(message.error));
      else resolve();
    };
    process.on("message", answer);
    send!({ type: "postgres", command });
  });
}

/** What this step changed in the environment (telemetry off, the resolved DATABASE_URL): the services inherit it. */
function changedEnvironment(): Record<string, string> {
  const changed: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && environmentBefore[name] !== value) changed[name] = value;
  }
  return changed;
}

function announcement(): string {
  const places = dataPlaces(embedded);
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
  return `${lines.join("\n")}\n`;
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
