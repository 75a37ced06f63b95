// The official @sentry/node SDK with tracing on, in its own process as an app would: an HTTP
// server the SDK instruments (each request a transaction with nested spans: "load order"
// holding a db query that takes the request's ?ms=), called by this process itself a known
// number of times, some slow (tolerated and frustrated for an Apdex of 300 ms), some failing
// with a 500 after capturing an error. Prints every transaction as the SDK sends it
// (beforeSendTransaction: name, op, status, duration) and every error's id, then flushes.
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  release: "summaries@1.0.0",
  environment: "production",
  tracesSampleRate: 1,
  // SDK 11 streams spans (`span` items) by default; "static" sends `transaction` items.
  traceLifecycle: "static",
  sendClientReports: false,
  beforeSendTransaction(event) {
    const trace = event.contexts?.trace ?? {};
    const sent = {
      name: event.transaction,
      op: trace.op ?? "",
      status: trace.status ?? "",
      ms: (event.timestamp - event.start_timestamp) * 1000,
      spans: event.spans?.length ?? 0,
    };
    console.log(`sent ${JSON.stringify(sent)}`);
    return event;
  },
});

// Imported after init, as Sentry's docs ask, so the SDK's instrumentation sees the server.
const http = await import("node:http");
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const server = http.createServer(async (request, response) => {
  const url = new URL(request.url ?? "/", "http://localhost");
  const ms = Number(url.searchParams.get("ms") ?? 0);
  await Sentry.startSpan({ name: "load order", op: "function" }, () =>
    Sentry.startSpan(
      { name: "SELECT * FROM orders WHERE id = $1", op: "db", attributes: { "db.system": "postgresql" } },
      () => wait(ms),
    ),
  );
  if (url.pathname === "/fail") {
    // a message of its own each: the SDK's Dedupe integration drops an error equal to the last one
    console.log(`exception ${Sentry.captureException(new Error(`Order service unavailable after ${ms} ms`))}`);
    response.statusCode = 500;
    response.end("unavailable");
    return;
  }
  response.end("ok");
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;

function get(path) {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${path}`, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      })
      .on("error", reject);
  });
}

// Fast orders (satisfied), three of 350 ms (tolerated), one of 1,400 ms (frustrated), and
// failures; one after another, so each takes about its ?ms=.
const paths = [
  ...Array.from({ length: 20 }, (_, i) => `/orders?ms=${(i * 7) % 40}`),
  "/orders?ms=350",
  "/orders?ms=350",
  "/orders?ms=350",
  "/orders?ms=1400",
  ...Array.from({ length: 4 }, (_, i) => `/fail?ms=${10 + i * 5}`),
];
for (const path of paths) console.log(`status ${path} ${await get(path)}`);

await new Promise((resolve) => server.close(resolve));
console.log(`flushed ${await Sentry.flush(5000)}`);
