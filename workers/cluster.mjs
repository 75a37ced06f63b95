// Runs several copies of one server script that share its listening port, through Node's
// cluster module: the launcher (workers/start.mjs) runs ingest this way when INGEST_PROCESSES
// is above 1, and bench:processing does for --ingest-processes.
//
//   node workers/cluster.mjs --processes N [--stop-on-exit CODE] -- [node flags] script.js
//
// This primary loads nothing but Node's own modules: it forks, hands incoming connections to
// the copies in turn (cluster's round-robin, Node's default on Linux), restarts a copy that
// dies on its own after a pause that doubles from 1 s to 30 s (as the launcher does with its
// children), and on SIGTERM/SIGINT passes the signal on and exits once every copy has. A copy
// that exits with the --stop-on-exit code (its port is taken: starting again cannot help)
// stops them all, and this process exits with that code.
import cluster from "node:cluster";
import path from "node:path";
import { parseArgs } from "node:util";

const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;
const RESTART_RESET_MS = 60_000;

const separator = process.argv.indexOf("--", 2);
const { values } = parseArgs({
  args: process.argv.slice(2, separator === -1 ? undefined : separator),
  options: { processes: { type: "string" }, "stop-on-exit": { type: "string" } },
});
const count = Number(values.processes);
const script = separator === -1 ? undefined : process.argv.at(-1);
if (!Number.isInteger(count) || count < 1 || !script || script.startsWith("-")) {
  console.error("usage: node workers/cluster.mjs --processes N [--stop-on-exit CODE] -- [node flags] script.js");
  process.exit(2);
}
const name = path.basename(script, path.extname(script)); // "ingest", for the log
const stopOnExit = values["stop-on-exit"] === undefined ? undefined : Number(values["stop-on-exit"]);

cluster.setupPrimary({ exec: script, execArgv: process.argv.slice(separator + 1, -1), args: [] });

/** The copies running now (cluster.workers drops one only once both its exit and disconnect came). */
const live = new Set();
let stopping = false;
let exitCode = 0;

for (let slot = 1; slot <= count; slot++) fork(slot, RESTART_MIN_MS);

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => stop(signal));

function fork(slot, delayMs) {
  const startedAt = Date.now();
  const worker = cluster.fork();
  live.add(worker);
  worker.once("exit", (code, signal) => {
    live.delete(worker);
    if (stopping) {
      if (code !== 0) exitCode ||= 1;
      if (live.size === 0) process.exit(exitCode);
      return;
    }
    if (stopOnExit !== undefined && code === stopOnExit) {
      exitCode = stopOnExit;
      stop("SIGTERM");
      return;
    }
    const wait = Date.now() - startedAt > RESTART_RESET_MS ? RESTART_MIN_MS : delayMs;
    console.error(`error: ${name} ${slot} of ${count} exited (${signal ?? `code ${code}`}); restarting it in ${wait / 1000} s`);
    setTimeout(() => {
      if (!stopping) fork(slot, Math.min(wait * 2, RESTART_MAX_MS));
    }, wait);
  });
}

function stop(signal) {
  stopping = true;
  if (live.size === 0) process.exit(exitCode); // all were waiting to restart
  for (const worker of live) worker.process.kill(signal);
}
