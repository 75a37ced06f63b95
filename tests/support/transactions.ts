import { randomBytes } from "node:crypto";
import { newEventId } from "./envelopes";

const spanId = () => randomBytes(8).toString("hex");
const ROUTES = ["GET /api/cart", "POST /api/checkout", "GET /api/products/:id", "GET /api/search", "POST /api/login"];
const TABLES = ["carts", "orders", "products", "users", "inventory", "prices"];

/**
 * A typical transaction as @sentry/node 11 (traceLifecycle "static") sends it for one request
 * to an instrumented server (the fields captured from tests/support/sentry-tracing.mjs, the
 * spans' attributes cut to a few): the http.server root in contexts.trace with its OTel
 * attributes, the request, and `spans` spans under it: a middleware span, db spans with their
 * statements and http.client calls. 30 spans make about 8 KB. `i` varies the route,
 * durations, status (1 in 20 fails) and ids.
 */
export function nodeTransaction(i: number, options: { spans?: number; endSeconds?: number; environment?: string } = {}) {
  const count = options.spans ?? 30;
  const end = options.endSeconds ?? Date.now() / 1000;
  const durationS = 0.02 + ((i * 7919) % 1000) / 2000;
  const start = end - durationS;
  const traceId = newEventId();
  const root = spanId();
  const route = ROUTES[i % ROUTES.length]!;
  const [method, path] = route.split(" ") as [string, string];
  const url = `http://api.internal:3000${path.replace(":id", String(i % 100))}`;
  const middleware = spanId();
  const spans: Record<string, unknown>[] = [
    {
      description: "jsonParser",
      op: "middleware.express",
      parent_span_id: root,
      span_id: middleware,
      start_timestamp: start + 0.0005,
      timestamp: start + 0.001,
      status: "ok",
      trace_id: traceId,
    },
  ];
  for (let n = 1; n < count; n++) {
    const at = start + (durationS * n) / (count + 1);
    const table = TABLES[(i + n) % TABLES.length]!;
    const common = { parent_span_id: root, span_id: spanId(), start_timestamp: at, timestamp: at + durationS / (count * 2), status: "ok", trace_id: traceId };
    if (n % 5 === 0) {
      const target = `http://payments.internal:8080/v1/${table}/${n}`;
      spans.push({
        ...common,
        data: { "http.request.method": "GET", "http.response.status_code": 200 },
        description: `GET ${target}`,
        op: "http.client",
      });
    } else {
      spans.push({
        ...common,
        data: { "db.system": "postgresql" },
        description: `SELECT * FROM ${table} WHERE id = $1`,
        op: "db",
      });
    }
  }
  return {
    event_id: newEventId(),
    type: "transaction",
    platform: "node",
    transaction: route,
    transaction_info: { source: "route" },
    start_timestamp: start,
    timestamp: end,
    environment: options.environment ?? "production",
    release: `shop@2.${i % 3}.0`,
    server_name: `api-${i % 4}`,
    sdk: { name: "sentry.javascript.node", version: "11.12.0" },
    request: { method, url, headers: { host: "api.internal:3000", "user-agent": "Mozilla/5.0", accept: "application/json" } },
    contexts: {
      trace: {
        trace_id: traceId,
        span_id: root,
        op: "http.server",
        status: i % 20 === 0 ? "internal_error" : "ok",
        origin: "auto.http.otel.http",
        data: {
          "sentry.origin": "auto.http.otel.http",
          "sentry.op": "http.server",
          "sentry.source": "route",
          "url.full": url,
          "http.request.method": method,
          "http.route": path,
          "http.response.status_code": i % 20 === 0 ? 500 : 200,
          "server.address": "api.internal",
          "server.port": 3000,
          "network.protocol.version": "1.1",
          "client.address": "10.0.3.17",
        },
      },
      runtime: { name: "node", version: "v20.20.2" },
      os: { name: "Linux", version: "6.8.0" },
    },
    spans,
  };
}
