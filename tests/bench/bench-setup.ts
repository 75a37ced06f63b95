// What end-to-end benchmarks of the built ingest and worker share: the bundles they run (rebuilt
// when older than the sources, or source-mapped for profiling) and tenants made with plain SQL.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, statSync, symlinkSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { buildBundles, newestSource, ROOT } from "./build";
import { log } from "./harness";
import { cpuSeconds } from "./procs";

const DIST = path.join(ROOT, "dist/workers");

export type Bundles = { ingest: string; worker: string; label: { ingest: string; worker: string } };

/**
 * dist/workers/{ingest,worker}.js, built with build:workers' flags when missing or older than
 * lib/ or workers/ (unless `skipBuild`); with `profileDir`, source-mapped bundles built there
 * (node_modules linked beside them), so a --cpu-prof profile maps to lib/ lines.
 */
export async function workerBundles(options: { skipBuild: boolean; profileDir?: string }): Promise<Bundles> {
  if (options.profileDir) {
    const dir = options.profileDir;
    mkdirSync(dir, { recursive: true });
    if (!existsSync(path.join(dir, "node_modules"))) symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    await buildBundles(["workers/ingest.ts", "workers/worker.ts"], dir, ["--sourcemap"]);
    const ingest = path.join(dir, "ingest.js");
    const worker = path.join(dir, "worker.js");
    return { ingest, worker, label: { ingest: `${ingest} (+ --sourcemap)`, worker: `${worker} (+ --sourcemap)` } };
  }
  const ingest = path.join(DIST, "ingest.js");
  const worker = path.join(DIST, "worker.js");
  const label = { ingest: "dist/workers/ingest.js", worker: "dist/workers/worker.js" };
  const oldest = Math.min(...[ingest, worker].map((f) => (existsSync(f) ? statSync(f).mtimeMs : Number.NEGATIVE_INFINITY)));
  if (newestSource() > oldest) {
    if (options.skipBuild) {
      if (!Number.isFinite(oldest)) throw new Error("dist/workers bundles are missing (run without --skip-build)");
      log("WARNING: dist/workers bundles are older than lib/ or workers/ (--skip-build: used as they are)");
    } else {
      log("dist/workers/{ingest,worker}.js missing or older than lib/ or workers/: building them");
      await buildBundles(["workers/ingest.ts", "workers/worker.ts"], DIST, []);
      label.ingest += " (rebuilt)";
      label.worker += " (rebuilt)";
    }
  }
  return { ingest, worker, label };
}

export type BenchTenant = { label: string; orgId: number; projectId: number; publicKey: string };

/** A user, an org of its own with a project, and a DSN key. */
export async function createBenchTenant(dbUrl: string, label: string): Promise<BenchTenant> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const suffix = `${label}-${randomBytes(4).toString("hex")}`;
    const user = await client.query<{ id: number }>("insert into users (email) values ($1) returning id", [`bench-${suffix}@example.com`]);
    const org = await client.query<{ id: number }>("insert into organizations (slug, name) values ($1, $2) returning id", [
      `bench-${suffix}`,
      `Bench ${label}`,
    ]);
    await client.query("insert into memberships (org_id, user_id, role) values ($1, $2, 'owner')", [org.rows[0]!.id, user.rows[0]!.id]);
    const project = await client.query<{ id: number }>(
      "insert into projects (org_id, slug, name, platform) values ($1, $2, $3, 'node') returning id",
      [org.rows[0]!.id, label, `Bench ${label}`],
    );
    const publicKey = randomBytes(16).toString("hex");
    await client.query("insert into project_keys (project_id, public_key, secret_key) values ($1, $2, $3)", [
      project.rows[0]!.id,
      publicKey,
      randomBytes(16).toString("hex"),
    ]);
    return { label, orgId: org.rows[0]!.id, projectId: project.rows[0]!.id, publicKey };
  } finally {
    await client.end();
  }
}

/**
 * CPU seconds of each PostgreSQL backend serving `database` (by pid, from /proc): on a server
 * other work shares, what this bench's statements cost, without the server's other databases.
 * Background processes (WAL writer, checkpointer) are left out.
 */
export async function backendCpu(client: pg.Client, database: string): Promise<Map<number, number>> {
  const { rows } = await client.query<{ pid: number }>("select pid from pg_stat_activity where datname = $1", [database]);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const seconds = cpuSeconds(pid);
    if (seconds !== null) out.set(pid, seconds);
  }
  return out;
}

/** CPU seconds the backends used between two backendCpu readings (ones started since count from 0). */
export function backendCpuUsed(before: Map<number, number>, after: Map<number, number>): number {
  let used = 0;
  for (const [pid, seconds] of after) used += seconds - (before.get(pid) ?? 0);
  return used;
}
