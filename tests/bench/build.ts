// Helpers both benchmarks need: building the bundles they measure, and leaving nothing behind.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Redis } from "ioredis";
import pg from "pg";
import { allLanes, streamKeyName } from "../../lib/ingest/stream-keys";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/** A project's lane streams under a bench's own Redis prefix. */
export function laneStreamKeys(prefix: string, projectId: number): string[] {
  return allLanes.map((lane) => `${prefix}:${streamKeyName(projectId, lane)}`);
}

/** The node flags `npm run start:<service>` runs the service with (package.json is the one source). */
export function productionFlags(service: "ingest" | "worker"): string {
  const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
  const flags = /\bnode\s+(.*?)\s*dist\/workers\//.exec(scripts[`start:${service}`] ?? "");
  if (!flags) throw new Error(`package.json start:${service} does not run node dist/workers/…`);
  return flags[1]!;
}

/**
 * Bundles the given entries with the flags of `npm run build:workers`, into `outdir`. With
 * workers/worker.ts come the named entries it loads beside itself (`sourcemap-thread=...`, the
 * source-map parse thread): without them the bundled worker symbolicates nothing.
 */
export async function buildBundles(entries: string[], outdir: string, extra: string[]): Promise<void> {
  const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts ?? {};
  const words = String(scripts["build:workers"] ?? "").split(/\s+/);
  if (words[0] !== "esbuild") throw new Error(`build:workers is not an esbuild command: ${words.join(" ")}`);
  const flags = words.filter((w) => w.startsWith("--") && !w.startsWith("--outdir") && !w.startsWith("--outfile"));
  const companions = entries.includes("workers/worker.ts") ? words.filter((w) => /^[\w-]+=/.test(w) && !entries.includes(w)) : [];
  await exec(path.join(ROOT, "node_modules/.bin/esbuild"), [...entries, ...companions, ...flags, `--outdir=${outdir}`, ...extra]);
}

/** Modification time of the newest source a bundle is built from (lib/, workers/). */
export function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|js|mjs|json)$/.test(entry.name) && !entry.name.endsWith(".test.ts"))
        newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  walk(path.join(ROOT, "lib"));
  walk(path.join(ROOT, "workers"));
  return newest;
}

export async function exec(command: string, args: string[]): Promise<void> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${code})`);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}

export async function deleteKeys(redis: Redis, match: string): Promise<number> {
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", match, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== "0");
  return deleted;
}
