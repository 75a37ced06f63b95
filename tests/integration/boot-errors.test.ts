import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NODE, ROOT, WITH_TSX, freePort, run } from "../support/processes";

// A misconfigured process must say what is wrong in one line and exit 1 (78, EX_CONFIG, when
// starting it again cannot help): no stack dump.
function expectOneLineFailure(result: { code: number | null; output: string }, pattern: RegExp, code = 1) {
  expect(result.code).toBe(code);
  const lines = result.output.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.output).not.toMatch(/\n\s+at /);
}

describe.each(["workers/ingest.ts", "workers/worker.ts", "workers/web.ts"])("%s boot", (entry) => {
  it("names DATABASE_URL when its server is down", async () => {
    const result = await run(NODE, [...WITH_TSX, entry], { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere" });
    expectOneLineFailure(result, /^error: Cannot reach PostgreSQL \(DATABASE_URL=postgresql:\/\/postgres@127\.0\.0\.1:1\/nowhere\)/);
  });

  it("says how to start Redis when none answers", async () => {
    const result = await run(NODE, [...WITH_TSX, entry], { REDIS_URL: "redis://127.0.0.1:1" });
    expectOneLineFailure(result, /^error: No Redis answers at redis:\/\/127\.0\.0\.1:1.*redis-server --daemonize yes/);
  });

  it("names an invalid variable", async () => {
    const result = await run(NODE, [...WITH_TSX, entry], { INGEST_PORT: "eighty" });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/^error: Invalid configuration:\n\s+INGEST_PORT: /);
    expect(result.output).not.toMatch(/\n\s+at /);
  });
});

// Tests never build: the web process runs Next.js in development mode when there is no build.
const webArgs = existsSync(path.join(ROOT, ".next/BUILD_ID")) ? ["workers/web.ts"] : ["workers/web.ts", "--dev"];

/** A port something else listens on (all interfaces, as our servers do), closed after the file. */
const occupants: Server[] = [];
async function takenPort(): Promise<number> {
  const port = await freePort();
  const occupant = createServer();
  await new Promise<void>((resolve) => occupant.listen(port, resolve));
  occupants.push(occupant);
  return port;
}
afterAll(async () => {
  await Promise.all(occupants.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe("a port in use", () => {
  it("ingest names INGEST_PORT and exits with EX_CONFIG", async () => {
    const port = await takenPort();
    const result = await run(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(port) });
    expectOneLineFailure(result, new RegExp(`^error: port ${port} \\(INGEST_PORT\\) is already in use: stop what uses it or set INGEST_PORT to a free port$`), 78);
  });

  it("web names PORT and exits with EX_CONFIG", { timeout: 240_000 }, async () => {
    const port = await takenPort();
    const result = await run(NODE, [...WITH_TSX, ...webArgs], { PORT: String(port), APP_URL: `http://localhost:${port}` });
    expect(result.code).toBe(78);
    expect(result.output).not.toMatch(/\n\s+at /);
    expect(result.output.trim().split("\n").at(-1)).toBe(`error: port ${port} (PORT) is already in use: stop what uses it or set PORT to a free port`);
  });

  it("stops the launcher instead of restarting the child forever", { timeout: 240_000 }, async () => {
    const [port, ingestPort] = [await takenPort(), await freePort()];
    // --dev: the launcher's web child is the web process in development mode (tests never build).
    const result = await run(NODE, ["workers/start.mjs", "--dev"], {
      PORT: String(port),
      INGEST_PORT: String(ingestPort),
      APP_URL: `http://localhost:${port}`,
      INGEST_URL: `http://localhost:${ingestPort}`,
    });
    expect(result.code).toBe(78);
    expect(result.output).toContain(`error: port ${port} (PORT) is already in use: stop what uses it or set PORT to a free port\n`);
    expect(result.output).not.toMatch(/restarting/);
    expect(result.output).not.toMatch(/\n\s+at /);
    // The ingest and worker it had started were stopped with it.
    await expect(fetch(`http://127.0.0.1:${ingestPort}/_health/`)).rejects.toThrow();
  });
});

describe("Node.js older than package.json's engines", () => {
  // The real entry points, with process.versions.node made to say 20.0.0 once tsx is loaded
  // (tsx reads the version to set itself up) and before the entry runs. DATABASE_URL points
  // nowhere: only a check that runs before anything else gives the Node.js line alone. npm
  // start's check is its first-run step's (the launcher, plain JavaScript, ends with its code).
  const oldNode = `data:text/javascript,Object.defineProperty(process.versions, "node", { value: "20.0.0" })`;
  it.each([["workers/prepare.ts"], ["workers/admin.ts", "list-orgs"]])("%s says which Node.js it needs", async (...entry) => {
    const result = await run(NODE, [...WITH_TSX, "--import", oldNode, ...entry], { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere" });
    expectOneLineFailure(result, /^error: errorhub needs Node\.js >=20\.19; this is 20\.0\.0: install a newer Node\.js/);
  });
});

describe("a DATA_DIR that cannot be written", () => {
  // Root may write anywhere, so the unwritable directories are paths a file is in the way of.
  const scratch = mkdtempSync(path.join(tmpdir(), "errorhub-data-"));
  const file = path.join(scratch, "a-file");
  writeFileSync(file, "not a directory");
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const dataDirError = (dir: string) =>
    new RegExp(`^error: DATA_DIR ${dir.replaceAll(/[./-]/g, "\\$&")} cannot be written \\(ENOTDIR\\): set DATA_DIR to a writable directory$`);

  it.each(["workers/ingest.ts", "workers/worker.ts", ...[webArgs.join(" ")]])("%s, whose generated AUTH_SECRET lives there, says so", async (entry) => {
    const result = await run(NODE, [...WITH_TSX, ...entry.split(" ")], { DATA_DIR: path.join(file, "data"), AUTH_SECRET: "" });
    expectOneLineFailure(result, dataDirError(path.join(file, "data")));
  });

  it("the launcher says so before any database work, even with AUTH_SECRET set", async () => {
    const result = await run(NODE, ["workers/start.mjs", "--dev"], {
      DATA_DIR: file,
      AUTH_SECRET: "x".repeat(32),
      DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere",
    });
    expectOneLineFailure(result, dataDirError(file));
  });

  it("the launcher says so when DATA_DIR is under a file and AUTH_SECRET is generated", async () => {
    const result = await run(NODE, ["workers/start.mjs", "--dev"], { DATA_DIR: path.join(file, "data"), AUTH_SECRET: "" });
    expectOneLineFailure(result, dataDirError(path.join(file, "data")));
  });
});
