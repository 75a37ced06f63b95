import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { clientIp } from "../client-ip";
import { env } from "../env";
import { checkHealth } from "../health";
import { logger } from "../logger";
import { answerMetrics } from "../metrics/endpoint";
import { countIngestRequest, initIngestMetrics } from "../metrics/ingest";
import { ingestCronCheckIn } from "./cron";
import { type Endpoint, ingest, preflight, reply } from "./handler";

const log = logger.child({ service: "ingest" });
const API_ROUTE = /^\/api\/(\d{1,10})\/(envelope|store|security|csp-report)\/?$/;
// Relay's HTTP check-ins: /api/{project_id}/cron/{monitor_slug}/{sentry_key}/, or without the
// key segment (the key then in ?sentry_key= or X-Sentry-Auth)
const CRON_ROUTE = /^\/api\/(\d{1,10})\/cron\/([^/]{1,200})(?:\/([^/]{1,100}))?\/?$/;

/** The ingest HTTP server: plain node:http, nothing between the socket and the handler. */
export function createIngestServer(): Server {
  const sampleRate = env().INGEST_LOG_SAMPLE_RATE;
  const trustProxy = env().TRUST_PROXY === "true";
  initIngestMetrics();
  const server = createServer((req, res) => {
    const started = performance.now();
    handle(req, res, trustProxy)
      .catch((error: unknown) => {
        // Bad input is answered inside handle(); here a dependency (Redis, Postgres) failed.
        // 503 tells SDKs and proxies it is temporary; the process carries on.
        log.error({ err: error instanceof Error ? error.message : String(error), path: req.url }, "ingest request failed");
        if (!res.headersSent) reply(res, 503, { detail: "temporarily unavailable, try again" });
        else res.destroy();
      })
      .finally(() => {
        countIngestRequest(res.statusCode);
        if (sampleRate > 0 && Math.random() < sampleRate) {
          log.info({ method: req.method, path: req.url?.split("?")[0], status: res.statusCode, ms: Math.round(performance.now() - started) }, "request");
        }
      });
  });
  // Sentry SDKs reuse connections; keep them a little longer than common proxies' 60 s.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse, trustProxy: boolean): Promise<void> {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const match = API_ROUTE.exec(path);
  if (match) {
    if (req.method === "OPTIONS") return preflight(req, res);
    if (req.method !== "POST") {
      req.resume();
      return reply(res, 405, { detail: "use POST" }, { allow: "POST, OPTIONS" });
    }
    const query = new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
    return ingest(req, res, Number(match[1]), match[2] as Endpoint, query, clientIp(req.headers["x-forwarded-for"], req.socket.remoteAddress, trustProxy));
  }
  const cron = CRON_ROUTE.exec(path);
  if (cron) {
    if (req.method === "OPTIONS") return preflight(req, res);
    if (req.method !== "POST" && req.method !== "GET") {
      req.resume();
      return reply(res, 405, { detail: "use GET or POST" }, { allow: "GET, POST, OPTIONS" });
    }
    const query = new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
    const ip = clientIp(req.headers["x-forwarded-for"], req.socket.remoteAddress, trustProxy);
    return ingestCronCheckIn(req, res, Number(cron[1]), cron[2]!, cron[3] ?? null, query, ip);
  }
  req.resume();
  if (path === "/_health/" || path === "/_health") {
    const report = await checkHealth();
    return reply(res, report.ok ? 200 : 503, report);
  }
  if ((path === "/_metrics" || path === "/_metrics/") && req.method === "GET") {
    const { status, headers, body } = await answerMetrics("ingest", req.headers.authorization);
    res.writeHead(status, headers).end(body);
    return;
  }
  reply(res, 404, { detail: "not found" });
}
