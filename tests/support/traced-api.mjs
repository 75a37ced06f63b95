// A small JSON API instrumented by @sentry/node (see traced-api-instrument.mjs), for the
// performance tests: a browser page calls it across origins with the trace headers.
//   GET /api/products  loads a product list with one query per product (an N+1), each taking
//                      QUERY_MS (3 ms unless set: the N+1 test makes them slow enough to count)
//   GET /api/checkout  fails: the error is captured inside a span, the answer is a 500
//   GET /api/orders/<id>  one order, by the id in its path: no router names this request, so
//                      the SDK names its transaction after the URL (source "url"); with
//                      ?fail=1 it captures an error for it first
// Prints "listening <port>" once it accepts requests.
import http from "node:http";
import * as Sentry from "@sentry/node";

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const query = (description, ms) => Sentry.startSpan({ name: description, op: "db", attributes: { "db.system": "postgresql" } }, () => wait(ms));

async function products() {
  const ids = await Sentry.startSpan({ name: "SELECT id FROM products ORDER BY rank LIMIT 6", op: "db" }, async () => {
    await wait(4);
    return [1, 2, 3, 4, 5, 6];
  });
  return Sentry.startSpan({ name: "load products", op: "function" }, async () => {
    const rows = [];
    for (const id of ids) {
      await query("SELECT * FROM products WHERE id = $1", Number(process.env.QUERY_MS ?? 3));
      rows.push({ id, name: `product ${id}` });
    }
    return rows;
  });
}

async function checkout() {
  await Sentry.startSpan({ name: "charge card", op: "payment" }, async () => {
    await wait(5);
    Sentry.captureException(new Error("Payment declined by the card issuer"));
  });
}

const server = http.createServer(async (request, response) => {
  const cors = {
    "access-control-allow-origin": "*",
    "access-control-allow-headers": "sentry-trace, baggage, content-type",
  };
  if (request.method === "OPTIONS") return void response.writeHead(204, cors).end();
  const url = new URL(request.url, "http://localhost");
  if (url.pathname === "/api/products") {
    const body = JSON.stringify(await products());
    return void response.writeHead(200, { ...cors, "content-type": "application/json" }).end(body);
  }
  const order = /^\/api\/orders\/([^/]+)$/.exec(url.pathname);
  if (order) {
    const body = await Sentry.startSpan({ name: "SELECT * FROM orders WHERE id = $1", op: "db" }, async () => {
      await wait(2);
      return JSON.stringify({ id: order[1] });
    });
    if (url.searchParams.has("fail")) Sentry.captureException(new Error(`Order ${order[1]} is locked`));
    return void response.writeHead(200, { ...cors, "content-type": "application/json" }).end(body);
  }
  if (url.pathname === "/api/checkout") {
    await checkout();
    return void response.writeHead(500, { ...cors, "content-type": "application/json" }).end('{"error":"declined"}');
  }
  response.writeHead(404, cors).end();
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, async () => {
    server.close();
    await Sentry.flush(5000);
    process.exit(0);
  });
}
