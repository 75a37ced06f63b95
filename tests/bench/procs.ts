import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { errorEvent } from "../support/envelopes";

/** A child process of the benchmark: a server that prints a line when ready. */
export type Child = {
  name: string;
  proc: ChildProcess;
  pid: number;
  output: () => string;
  exited: Promise<void>;
};

const running = new Set<Child>();
const OUTPUT_KEEP = 64 * 1024;

/** Starts `node <args>` from `cwd` and resolves once its output matches `ready`. */
export async function startNode(
  name: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; ready: RegExp; timeoutMs?: number },
): Promise<Child> {
  const proc = spawn(process.execPath, args, {
    cwd: options.cwd,
    // Only what is passed: nothing from the caller's environment leaks into the servers.
    env: options.env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.on("error", () => {}); // a failed spawn shows as a missing pid below
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_KEEP) output = output.slice(-OUTPUT_KEEP);
  };
  proc.stdout!.on("data", collect);
  proc.stderr!.on("data", collect);
  const exited = new Promise<void>((resolve) => proc.on("exit", () => resolve()));
  if (proc.pid === undefined) throw new Error(`cannot start ${name}: ${process.execPath} did not spawn`);
  const child: Child = { name, proc, pid: proc.pid, output: () => output, exited };
  running.add(child);
  exited.then(() => running.delete(child));

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (options.ready.test(output)) return child;
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(
        `${name} exited (${proc.exitCode ?? proc.signalCode}) before it was ready; output:\n${output}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`${name} not ready after ${options.timeoutMs ?? 30_000} ms; output:\n${output}`);
    await sleep(50);
  }
}

/** SIGTERM to the child's PID, SIGKILL if it has not exited after `graceMs`. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill("SIGTERM");
  const timer = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), graceMs).unref());
  if ((await Promise.race([child.exited.then(() => "done" as const), timer])) === "late") {
    child.proc.kill("SIGKILL");
    await child.exited;
  }
}

/** Last resort on exit: SIGKILL every child still running, by PID. */
export function killAllChildrenSync(): void {
  for (const child of running) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

export function runningChildren(): Child[] {
  return [...running];
}

/** Resident set size of a process in MB, from /proc/<pid>/status (null when unreadable). */
export function rssMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel config.
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/**
 * CPU seconds the whole machine spent in processes (user, nice, system) plus time stolen by the
 * hypervisor, from /proc/stat. Interrupt and softirq time is left out: loopback networking is
 * counted there and grows with the request rate, so it is not noise from other processes.
 */
export function machineBusySeconds(): number | null {
  try {
    const [user, nice, system, , , , , steal] = readFileSync("/proc/stat", "utf8")
      .split("\n")[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (user! + nice! + system! + (steal ?? 0)) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

// One helper for tests and benchmarks.
export { freePort } from "../support/processes";

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A fixed document for machineSpeedMs: a small error event as the tests send it.
const SPEED_DOC = errorEvent();

/**
 * CPU milliseconds this process takes for a fixed task (2,000 JSON round trips of an
 * event-sized document): a reading of how fast the machine is at that moment. The same code
 * here has taken 70% more CPU per event in some minutes than in others, so runs made at
 * different times are compared through it rather than by their rates alone.
 */
export function machineSpeedMs(): number {
  let length = 0;
  for (let i = 0; i < 200; i++) length += JSON.stringify(JSON.parse(JSON.stringify(SPEED_DOC))).length; // warm
  const start = process.cpuUsage();
  for (let i = 0; i < 2000; i++) length += JSON.stringify(JSON.parse(JSON.stringify(SPEED_DOC))).length;
  const used = process.cpuUsage(start);
  if (length === 0) throw new Error("unreachable: keeps the loop from being optimised away");
  return (used.user + used.system) / 1000;
}
