import { once } from "node:events";
import { env } from "@/lib/env";
import { createIngestServer } from "@/lib/ingest/server";
import { logger } from "@/lib/logger";
import { closeDb } from "@/lib/db";
import { closeAcceptConnection } from "@/lib/ingest/accept";
import { closeQueues } from "@/lib/queues";
import { closeRedis } from "@/lib/redis";
import { boot, onShutdown } from "@/lib/runtime";

const log = logger.child({ service: "ingest" });

async function main() {
  await boot();
  const server = createIngestServer();
  server.listen(env().INGEST_PORT);
  await once(server, "listening");
  log.info({ port: env().INGEST_PORT }, "ingest listening");
  onShutdown(async () => {
    log.info("ingest stopping: finishing in-flight requests");
    // Stop accepting, let in-flight requests finish, drop idle keep-alive sockets.
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeIdleConnections();
    await closed;
    await closeAcceptConnection();
    await closeQueues();
    await closeRedis();
    await closeDb();
    log.info("ingest stopped");
  });
}

await main();
