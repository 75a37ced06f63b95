import { spawn } from "node:child_process";
import { env } from "@/lib/env";
import { stopEmbeddedPostgres } from "@/lib/database-url";
import { boot } from "@/lib/runtime";
import { binPath, forwardSignals } from "./children";

// The web process: Next.js's own production server, started once the database is known
// (which may mean starting the embedded PostgreSQL) so pages never boot against nothing.
await boot();
const dev = process.argv.includes("--dev");
const next = spawn(binPath("next"), [dev ? "dev" : "start", "--port", String(env().PORT)], {
  stdio: "inherit",
  env: { ...process.env, NODE_ENV: dev ? "development" : "production" },
});
forwardSignals([next]);
next.on("exit", async (code, signal) => {
  await stopEmbeddedPostgres();
  process.exit(code ?? (signal === "SIGTERM" || signal === "SIGINT" ? 0 : 1));
});
