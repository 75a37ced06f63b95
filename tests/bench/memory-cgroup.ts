/**
 * bench:memory --memory-limit MB: the whole stack (npm start's tree with the embedded PostgreSQL,
 * and the private redis-server) runs in a memory cgroup limited to MB, as on a server that has
 * only that much. What it answers that summed RSS or PSS cannot: whether the stack *fits*, i.e.
 * the kernel never had to kill a process of it, with page cache squeezed as a small server's is.
 * The cgroup's peak charge counts anonymous memory and page cache (reclaimable) together.
 *
 * Needs a writable cgroup hierarchy (root on a cgroup v1 `memory` controller or cgroup v2 with
 * the memory controller enabled) and no swap (or the limit would only move pages to swap).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export type CgroupFigures = { limitMb: number; peakMb: number; anonPeakMb: number; oomKills: number };

const V1 = "/sys/fs/cgroup/memory";
const V2 = "/sys/fs/cgroup";

export class MemoryCgroup {
  readonly dir: string;
  private readonly v2: boolean;
  private anonPeak = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    name: string,
    readonly limitMb: number,
  ) {
    this.v2 =
      !existsSync(path.join(V1, "memory.limit_in_bytes")) && existsSync(path.join(V2, "cgroup.controllers"));
    this.dir = path.join(this.v2 ? V2 : V1, name);
    if (swapBytes() > 0)
      throw new Error("--memory-limit: this machine has swap, so a limit would page out rather than fail");
    try {
      mkdirSync(this.dir);
    } catch (error) {
      throw new Error(
        `--memory-limit needs a writable memory cgroup (root, cgroup v1 memory or v2): ${(error as Error).message}`,
      );
    }
    const bytes = String(limitMb * 2 ** 20);
    if (this.v2) {
      writeFileSync(path.join(this.dir, "memory.max"), bytes);
      writeFileSync(path.join(this.dir, "memory.swap.max"), "0");
    } else {
      writeFileSync(path.join(this.dir, "memory.limit_in_bytes"), bytes);
    }
  }

  /** `command args` as a shell that joins the cgroup, then execs it: its children are born inside. */
  wrap(command: string, args: string[]): [string, string[]] {
    return [
      "sh",
      ["-c", `echo $$ > '${path.join(this.dir, "cgroup.procs")}' && exec "$@"`, "sh", command, ...args],
    ];
  }

  /** Samples anonymous memory every 250 ms (the charge's part that cannot be reclaimed). */
  start(): void {
    this.timer = setInterval(() => {
      this.anonPeak = Math.max(this.anonPeak, this.anonBytes());
    }, 250);
  }

  figures(): CgroupFigures {
    const peak = this.v2 ? this.read("memory.peak") : this.read("memory.max_usage_in_bytes");
    const events = this.v2 ? this.read("memory.events") : this.read("memory.oom_control");
    return {
      limitMb: this.limitMb,
      peakMb: Number(peak) / 2 ** 20,
      anonPeakMb: this.anonPeak / 2 ** 20,
      oomKills: Number(/oom_kill (\d+)/.exec(events)?.[1] ?? 0),
    };
  }

  /** Removes the cgroup; its processes must have exited by then (cleanups run in reverse). */
  remove(): void {
    clearInterval(this.timer);
    try {
      rmdirSync(this.dir);
    } catch {
      // a process still inside (it ends with its tree's cleanup): the kernel keeps the group
    }
  }

  private anonBytes(): number {
    const stat = this.read("memory.stat");
    const field = this.v2 ? /^anon (\d+)$/m : /^total_rss (\d+)$/m;
    return Number(field.exec(stat)?.[1] ?? 0);
  }

  private read(file: string): string {
    try {
      return readFileSync(path.join(this.dir, file), "utf8");
    } catch {
      return "";
    }
  }
}

function swapBytes(): number {
  const lines = readFileSync("/proc/swaps", "utf8").trim().split("\n").slice(1);
  return lines.reduce((sum, line) => sum + Number(line.split(/\s+/)[2] ?? 0), 0);
}
