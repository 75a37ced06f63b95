import { createServer, type Server } from "node:http";
import { env } from "../env";
import { logger } from "../logger";
import { EXIT_CONFIG, fail } from "../runtime";
import { answerMetrics } from "./endpoint";
import type { ProcessKind } from "./registry";

/**
 * A listener of its own for a process with no HTTP server (the worker): GET /_metrics only.
 * Not started without METRICS_TOKEN, so such an install opens no port. A port already taken
 * ends the process as a taken PORT does: one line, EXIT_CONFIG, no restart loop.
 */
export async function startMetricsServer(kind: ProcessKind): Promise<Server | null> {
  if (env().METRICS_TOKEN === undefined) return null;
  const server = createServer((req, res) => {
    req.resume();
    const path = (req.url ?? "/").split("?")[0];
    const answer = (path === "/_metrics" || path === "/_metrics/") && req.method === "GET"
      ? answerMetrics(kind, req.headers.authorization)
      : Promise.resolve({ status: 404, headers: { "content-type": "application/json" }, body: '{"detail":"not found"}' });
    answer.then(
      ({ status, headers, body }) => res.writeHead(status, headers).end(body),
      () => res.writeHead(503).end(),
    );
  });
  const port = env().WORKER_METRICS_PORT;
  await new Promise<void>((resolve) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") fail(`port ${port} (WORKER_METRICS_PORT) is already in use: set WORKER_METRICS_PORT to a free port, or unset METRICS_TOKEN`, EXIT_CONFIG);
      fail(`cannot listen on port ${port} (WORKER_METRICS_PORT): ${error.message}`);
    });
    server.listen(port, () => resolve());
  });
  logger.info({ port }, "metrics listening");
  return server;
}
