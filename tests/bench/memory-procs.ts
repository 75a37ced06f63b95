import { readdirSync, readFileSync } from "node:fs";

// What bench:memory samples: every process of `npm start`'s tree (and of Redis, and of a
// PostgreSQL outside the tree), grouped by role, with its resident memory.

/** The rows of the memory table, in print order. */
export const ROLES = [
  "npm start",
  "launcher",
  "tsx's esbuild",
  "first-run prepare",
  "npm run wrappers",
  "web",
  "next-server",
  "ingest",
  "worker",
  "other",
  "PostgreSQL",
  "Redis",
] as const;
export type Role = (typeof ROLES)[number];

type Proc = { pid: number; ppid: number; comm: string; args: string };

/** Every process on the machine: PID, parent, command name and command line. */
export function allProcesses(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const args = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      out.push({ pid: Number(name), ppid, comm, args });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `root` and every process below it. */
export function treeOf(root: number, procs: Proc[]): Proc[] {
  const below = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (below.has(p.ppid) && !below.has(p.pid)) grew = below.add(p.pid).size > 0;
  }
  return procs.filter((p) => below.has(p.pid));
}

/** The role of a process of `npm start`'s tree (the root is npm itself). */
export function roleOf(p: Proc, root: number): Role {
  if (p.pid === root) return "npm start";
  if (p.comm === "postgres") return "PostgreSQL";
  if (p.comm === "redis-server") return "Redis";
  if (/^next-server\b/.test(p.args) || p.comm.startsWith("next-server")) return "next-server";
  if (/\bnpm run start:/.test(p.args) || (p.comm.startsWith("npm") && p.pid !== root)) return "npm run wrappers";
  if (p.comm === "esbuild") return "tsx's esbuild";
  if (p.comm === "sh") return "other"; // npm's shell, before it execs the script's command
  const entry = /workers\/([\w-]+)\.(?:[cm]?js|ts)\b/.exec(p.args)?.[1];
  if (entry === "web") return "web";
  if (entry === "ingest") return "ingest";
  if (entry === "worker") return "worker";
  if (entry === "start" || entry === "launcher") return "launcher";
  if (entry === "prepare") return "first-run prepare";
  return "other";
}

/** Resident and proportional set size of a process, MB (null when it is gone or unreadable). */
export function memoryOf(pid: number): { rss: number; pss: number } | null {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const rss = /^Rss:\s+(\d+) kB/m.exec(rollup);
    const pss = /^Pss:\s+(\d+) kB/m.exec(rollup);
    if (!rss || !pss) return null;
    return { rss: Number(rss[1]) / 1024, pss: Number(pss[1]) / 1024 };
  } catch {
    return null;
  }
}

/** One sample: MB by role (RSS summed over the role's processes, and their count) and totals. */
export type Sample = {
  byRole: Map<Role, { rss: number; pss: number; count: number }>;
  /** Everything under `npm start` except PostgreSQL: the figure the 987 MB is. */
  treeRss: number;
  /** npm start's tree, PostgreSQL and Redis: what the machine must hold. */
  stackRss: number;
  /** The same as PSS: pages shared between processes (the node binary, shared_buffers) counted once. */
  stackPss: number;
};

/**
 * Samples `npm start`'s tree plus `extraRoots` (Redis, a PostgreSQL outside the tree), whose
 * processes and children count under their own role.
 */
export function sample(root: number, extraRoots: number[]): Sample {
  const procs = allProcesses();
  const seen = new Set<number>();
  const byRole = new Map<Role, { rss: number; pss: number; count: number }>();
  let treeRss = 0;
  let stackRss = 0;
  let stackPss = 0;
  for (const top of [root, ...extraRoots]) {
    for (const p of treeOf(top, procs)) {
      if (seen.has(p.pid)) continue;
      seen.add(p.pid);
      const memory = memoryOf(p.pid);
      if (!memory) continue;
      const role = roleOf(p, root);
      const entry = byRole.get(role) ?? { rss: 0, pss: 0, count: 0 };
      entry.rss += memory.rss;
      entry.pss += memory.pss;
      entry.count += 1;
      byRole.set(role, entry);
      if (top === root && role !== "PostgreSQL") treeRss += memory.rss;
      stackRss += memory.rss;
      stackPss += memory.pss;
    }
  }
  return { byRole, treeRss, stackRss, stackPss };
}

/** The highest value of each figure over a phase's samples. */
export class PhaseMax {
  readonly byRole = new Map<Role, { rss: number; pss: number; count: number }>();
  treeRss = 0;
  stackRss = 0;
  stackPss = 0;
  samples = 0;

  add(s: Sample): void {
    this.samples++;
    for (const [role, { rss, pss, count }] of s.byRole) {
      const entry = this.byRole.get(role) ?? { rss: 0, pss: 0, count: 0 };
      entry.rss = Math.max(entry.rss, rss);
      entry.pss = Math.max(entry.pss, pss);
      entry.count = Math.max(entry.count, count);
      this.byRole.set(role, entry);
    }
    this.treeRss = Math.max(this.treeRss, s.treeRss);
    this.stackRss = Math.max(this.stackRss, s.stackRss);
    this.stackPss = Math.max(this.stackPss, s.stackPss);
  }

  merge(other: PhaseMax): void {
    this.add(other);
    this.samples += other.samples - 1;
  }
}

/** Samples every `everyMs` into the phase currently set, until stopped. */
export class Sampler {
  private timer: NodeJS.Timeout | undefined;
  private phase: PhaseMax | undefined;

  constructor(
    private readonly root: number,
    private readonly extraRoots: () => number[],
    private readonly everyMs = 250,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.phase?.add(sample(this.root, this.extraRoots())), this.everyMs);
  }

  /** From now on, samples go to a new phase, returned. */
  begin(): PhaseMax {
    this.phase = new PhaseMax();
    this.phase.add(sample(this.root, this.extraRoots()));
    return this.phase;
  }

  /** Ends the current phase with one last sample. */
  end(): void {
    this.phase?.add(sample(this.root, this.extraRoots()));
    this.phase = undefined;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
