// Runs the official @sentry/node SDK with tracing on, in its own process as an app would: an
// HTTP server the SDK instruments, called by a background task (a transaction of its own with
// nested spans) whose requests carry its trace; one request fails with a 500 after capturing an
// error, and another error is captured inside a span of the task. Prints the ids the test looks for, then flushes and exits.
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  release: "tracing@1.0.0",
  environment: "test",
  tracesSampleRate: 1,
  // SDK 11 streams spans (`span` items) by default; "static" sends them as `transaction` items.
  traceLifecycle: "static",
  sendClientReports: false,
});

// Imported after init, as Sentry's docs ask, so the SDK's instrumentation sees the server.
const http = await import("node:http");

const server = http.createServer((req, res) => {
  Sentry.startSpan(
    { name: "SELECT * FROM carts WHERE id = $1", op: "db.query", attributes: { "db.system": "postgresql", "db.statement": "SELECT * FROM carts WHERE id = $1" } },
    () => {},
  );
  if (req.url === "/fail") {
    console.log(`request-exception ${Sentry.captureException(new Error("Payment provider unavailable"))}`);
    res.statusCode = 500;
    res.end("boom");
    return;
  }
  res.end("ok");
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;

function get(path) {
  return new Promise((resolve, reject) => {
    http.get(`${base}${path}`, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    }).on("error", reject);
  });
}

await Sentry.startSpan({ name: "nightly-checkout", op: "task" }, async (root) => {
  console.log(`trace ${root.spanContext().traceId}`);
  await Sentry.startSpan({ name: "load carts", op: "function" }, async () => {
    Sentry.startSpan(
      {
        name: "UPDATE users SET password = 'hunter2' WHERE id = 7",
        op: "db.query",
        attributes: {
          "db.system": "postgresql",
          "db.statement": "UPDATE users SET password = 'hunter2' WHERE id = 7",
          "http.query": "token=abc123&page=2",
          "card": "4111 1111 1111 1111",
        },
      },
      () => {},
    );
    for (const path of ["/cart", "/cart", "/cart", "/fail"]) console.log(`status ${path} ${await get(path)}`);
  });
  Sentry.startSpan({ name: "charge", op: "function" }, () => {
    try {
      throw new Error("Card declined");
    } catch (error) {
      console.log(`exception ${Sentry.captureException(error)}`);
    }
  });
});

await new Promise((resolve) => server.close(resolve));
console.log(`flushed ${await Sentry.flush(5000)}`);
