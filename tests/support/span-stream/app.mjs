// An app instrumented by @sentry/node 11 at its defaults (see instrument.mjs), run by
// tests/integration/span-stream.test.ts. It serves three routes the SDK turns into
// http.server segments, calls them itself, runs a background task of nested spans, and flushes
// a long task's children before the task (its segment) ends, as a segment longer than the
// SDK's 5 s flush interval does. Prints the ids the test looks for, then flushes and exits.
import http from "node:http";
import * as Sentry from "@sentry/node";

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const server = http.createServer(async (request, response) => {
  const url = new URL(request.url, "http://localhost");
  if (url.pathname === "/api/products") {
    await Sentry.startSpan({ name: "SELECT * FROM products WHERE id = $1", op: "db", attributes: { "db.system": "postgresql" } }, () => wait(3));
    await Sentry.startSpan({ name: "render products", op: "function" }, async () => {
      await Sentry.startSpan({ name: "GET price cache", op: "cache.get" }, () => wait(1));
    });
    return void response.writeHead(200, { "content-type": "application/json" }).end("[]");
  }
  if (url.pathname === "/api/checkout") {
    await Sentry.startSpan({ name: "charge card", op: "payment" }, async () => {
      await wait(2);
      console.log(`exception ${Sentry.captureException(new Error("Payment declined by the card issuer"))}`);
    });
    return void response.writeHead(500, { "content-type": "application/json" }).end('{"error":"declined"}');
  }
  response.writeHead(404).end();
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

await Sentry.startSpan({ name: "nightly-report", op: "task" }, async (root) => {
  console.log(`task ${root.spanContext().traceId} ${root.spanContext().spanId}`);
  await Sentry.startSpan({ name: "load orders", op: "function" }, async () => {
    await Sentry.startSpan({ name: "SELECT * FROM orders", op: "db.query" }, () => wait(2));
    await Sentry.startSpan({ name: "SELECT * FROM order_lines", op: "db.query" }, () => wait(2));
  });
  for (const path of ["/api/products", "/api/products", "/api/checkout"]) console.log(`status ${path} ${await get(path)}`);
});

// A segment whose children are sent before it: flush() drains the SDK's span buffer while the
// task still runs, as the 5 s timer does for a longer one.
await Sentry.startSpan({ name: "long-import", op: "task" }, async (root) => {
  console.log(`long ${root.spanContext().traceId} ${root.spanContext().spanId}`);
  await Sentry.startSpan({ name: "read file", op: "file.read" }, () => wait(2));
  await Sentry.startSpan({ name: "parse rows", op: "function" }, () => wait(2));
  console.log(`early flush ${await Sentry.flush(5000)}`);
  await Sentry.startSpan({ name: "write rows", op: "db.query" }, () => wait(2));
});

await new Promise((resolve) => server.close(resolve));
console.log(`flushed ${await Sentry.flush(5000)}`);
