import { afterAll, describe, expect, it } from "vitest";
import { type Running, descendants, startPlatform, waitForHttp } from "../support/processes";

// `npm start` keeps the platform up when one process dies: the dead one is started again after
// a pause, the others keep running, and SIGTERM still stops everything.

/** PIDs of the node processes running dist/workers/<name>.js below `root`. */
function servicePids(root: number): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const row of descendants(root)) {
    const service = row.args.match(/^\S*node .*dist\/workers\/(web|ingest|worker)\.js$/)?.[1];
    if (service) pids[service] = row.pid;
  }
  return pids;
}

let platform: Running | undefined;
afterAll(async () => {
  await platform?.stop("SIGTERM");
});

describe("npm start", { timeout: 240_000 }, () => {
  it("restarts a killed ingest with a pause, leaving web and worker running, and still stops on SIGTERM", async () => {
    const started = await startPlatform();
    platform = started.process;
    await waitForHttp(`${started.ingest}/_health/`);
    const before = servicePids(platform.child.pid!);
    expect(Object.keys(before).sort()).toEqual(["ingest", "web", "worker"]);

    process.kill(before.ingest!, "SIGKILL");
    await platform.waitFor(/error: ingest exited \(.*\); restarting it in 1 s/);
    let health: Response | undefined;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      health = await fetch(`${started.ingest}/_health/`).catch(() => undefined);
      if (health?.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(health?.status).toBe(200);
    const after = servicePids(platform.child.pid!);
    expect(after.ingest).toBeDefined();
    expect(after.ingest).not.toBe(before.ingest);
    expect({ web: after.web, worker: after.worker }).toEqual({ web: before.web, worker: before.worker });
    expect(platform.output()).not.toMatch(/stopping the others/);

    const stopped = await platform.stop("SIGTERM");
    expect(stopped.code).toBe(0);
    const alive = Object.values(after).filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});
