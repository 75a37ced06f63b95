// The baseline for the ingest benchmark: plain node:http on 127.0.0.1 that reads each request
// body fully and answers 200 with a small JSON body shaped like ingest's, nothing else.
// Usage: BARE_PORT=<port> node tests/bench/bare-server.mjs
import { createServer } from "node:http";

const port = Number(process.env.BARE_PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write("error: set BARE_PORT\n");
  process.exit(1);
}

const payload = JSON.stringify({ id: "0123456789abcdef0123456789abcdef" });
const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(payload) };

const server = createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    chunks.push(chunk);
    size += chunk.length;
  });
  req.on("end", () => {
    Buffer.concat(chunks, size);
    res.writeHead(200, headers);
    res.end(payload);
  });
});
// Same keep-alive settings as the ingest server.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.requestTimeout = 60_000;

server.listen(port, "127.0.0.1", () => process.stdout.write(`bare listening on 127.0.0.1:${port}\n`));

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
