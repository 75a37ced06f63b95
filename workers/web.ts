import { createServer } from "node:http";
import { stopEmbeddedPostgres } from "@/lib/database-url";
import { env } from "@/lib/env";
import { idleCollector } from "@/lib/idle-gc";
import { logger } from "@/lib/logger";
import { startHeartbeat } from "@/lib/operator/heartbeat";
import { countWebRequest } from "@/lib/metrics/web";
import { boot, listen } from "@/lib/runtime";
import { setPeerAddress } from "@/lib/web-peer";

// The web process: Next.js on a node:http server of ours, started once the database is known
// (which may mean starting the embedded PostgreSQL) so pages never boot against nothing. The
// server is ours rather than `next start`'s because Next.js hands the app headers, never the
// socket: each request gets the socket's address in a header the client cannot choose
// (lib/web-peer.ts), which sign-in throttling needs when TRUST_PROXY is off.
const dev = process.argv.includes("--dev");
// Next.js decides development or production from NODE_ENV; `npm run start:web` alone sets none.
Object.assign(process.env, { NODE_ENV: dev ? "development" : "production" });
await boot();
const { default: next } = await import("next");
const server = createServer();
const app = next({ dev, port: env().PORT, httpServer: server });
await app.prepare();
const handle = app.getRequestHandler();
const idle = idleCollector();
server.on("request", (req, res) => {
  idle.begin();
  res.once("close", idle.end);
  setPeerAddress(req);
  countWebRequest(res);
  handle(req, res).catch((error: unknown) => {
    logger.error({ err: error instanceof Error ? error.message : String(error), path: req.url }, "web request failed");
    if (!res.headersSent) res.writeHead(500).end();
    else res.destroy();
  });
});
await listen(server, "PORT");
logger.info({ port: env().PORT, dev }, "web listening");
const stopHeartbeat = startHeartbeat("web");

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    await stopHeartbeat();
    server.close();
    server.closeAllConnections();
    await app.close().catch(() => undefined);
    await stopEmbeddedPostgres();
    process.exit(0);
  });
}
