// The backend of a trace across two projects: the official @sentry/node SDK with tracing on, in
// its own process as an app would, instrumenting an HTTP server that another process (its
// frontend, tests/support/trace-frontend.mjs, another project's DSN) calls with the trace's
// sentry-trace and baggage headers.
//   GET /api/products  nested spans: "load products" holding three db queries
//   GET /api/checkout  an error captured inside the "charge card" span, then a 500
// Prints "listening <port>", the span id the error happened in and its event id; flushes and
// exits on SIGTERM.
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  release: "backend@2.0.0",
  environment: "production",
  tracesSampleRate: 1,
  // SDK 11 streams spans (`span` items) by default; "static" sends them as `transaction` items.
  // The test runs both: SENTRY_TRACE_LIFECYCLE=stream keeps the default.
  ...(process.env.SENTRY_TRACE_LIFECYCLE === "stream" ? {} : { traceLifecycle: "static" }),
  sendClientReports: false,
});

// Imported after init, as Sentry's docs ask, so the SDK's instrumentation sees the server.
const http = await import("node:http");
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function products() {
  return Sentry.startSpan({ name: "load products", op: "function" }, async () => {
    const rows = [];
    for (const id of [1, 2, 3]) {
      await Sentry.startSpan(
        { name: "SELECT * FROM products WHERE id = $1", op: "db", attributes: { "db.system": "postgresql" } },
        () => wait(2),
      );
      rows.push({ id });
    }
    return rows;
  });
}

async function checkout() {
  await Sentry.startSpan({ name: "charge card", op: "payment" }, async (span) => {
    await wait(3);
    console.log(`charge-span ${span.spanContext().spanId}`);
    console.log(`exception ${Sentry.captureException(new Error("Payment declined by the card issuer"))}`);
  });
}

const server = http.createServer(async (request, response) => {
  if (request.url === "/api/products") {
    const body = JSON.stringify(await products());
    response.writeHead(200, { "content-type": "application/json" }).end(body);
  } else if (request.url === "/api/checkout") {
    await checkout();
    response.writeHead(500, { "content-type": "application/json" }).end('{"error":"declined"}');
  } else {
    response.writeHead(404).end();
  }
});

server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
process.once("SIGTERM", async () => {
  server.close();
  console.log(`flushed ${await Sentry.flush(5000)}`);
  process.exit(0);
});
