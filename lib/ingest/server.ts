import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { checkHealth } from "../health";

/** The ingest HTTP server: plain node:http, nothing between the socket and the handler. */
export function createIngestServer(): Server {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Bad input is answered inside handle(); reaching here is our bug, not the client's.
      if (!res.headersSent) json(res, 500, { detail: "internal error" });
      else res.destroy(error as Error);
    });
  });
  // Sentry SDKs reuse connections; keep them a little longer than common proxies' 60 s.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/_health/" || path === "/_health") {
    const report = await checkHealth();
    return json(res, report.ok ? 200 : 503, report);
  }
  req.resume();
  json(res, 404, { detail: "not found" });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}
