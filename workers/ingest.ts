import { setPriority } from "node:os";
import { env } from "@/lib/env";
import { idleCollector } from "@/lib/idle-gc";
import { createIngestServer } from "@/lib/ingest/server";
import { logger } from "@/lib/logger";
import { startHeartbeat } from "@/lib/operator/heartbeat";
import { closeSql } from "@/lib/sql";
import { closeAcceptConnection } from "@/lib/ingest/accept";
import { closeQueues } from "@/lib/queues";
import { closeRedis } from "@/lib/redis";
import { boot, listen, onShutdown } from "@/lib/runtime";

const log = logger.child({ service: "ingest" });

// Ingest and the worker usually share a machine. At equal priority, a flood of requests takes
// the CPU the worker needs to keep up: the backlog grows and events reach the dashboard late.
// A lower priority for ingest keeps intake and processing in step, and when ingest runs alone
// it changes nothing. Measured with 8 interleaved pairs of `npm run bench:processing --
// --scenarios small --ingest-env INGEST_NICENESS=0` and `=5`: end to end +9% (median; from
// -28% in a pair split by a slowdown of the machine to +24%), longest backlog 12-25k -> 5-9k
// events, and the worker spends less CPU per event when it reads entries soon after they came.
function lowerPriority(): void {
  const niceness = env().INGEST_NICENESS;
  if (niceness === 0) return;
  try {
    setPriority(niceness);
  } catch (error) {
    log.warn({ err: error instanceof Error ? error.message : String(error), niceness }, "could not lower ingest's priority");
  }
}

async function main() {
  await boot();
  lowerPriority();
  const server = createIngestServer();
  const idle = idleCollector();
  server.on("request", (_req, res) => {
    idle.begin();
    res.once("close", idle.end);
  });
  await listen(server, "INGEST_PORT");
  log.info({ port: env().INGEST_PORT }, "ingest listening");
  const stopHeartbeat = startHeartbeat("ingest");
  onShutdown(async () => {
    log.info("ingest stopping: finishing in-flight requests");
    await stopHeartbeat();
    // Stop accepting, let in-flight requests finish, drop idle keep-alive sockets.
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeIdleConnections();
    await closed;
    await closeAcceptConnection();
    await closeQueues();
    await closeRedis();
    await closeSql();
    log.info("ingest stopped");
  });
}

await main();
