import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { postJson, USER_AGENT } from "./http";

// A receiver on every local address (IPv4 and IPv6), answering by path.
const received: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
let port = 0;
const server = http.createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    received.push({ path: request.url ?? "", headers: request.headers, body });
    if (request.url === "/redirect") return void response.writeHead(302, { location: "http://example.com/" }).end();
    if (request.url === "/gone") return void response.writeHead(404).end("no such hook");
    if (request.url === "/busy") return void response.writeHead(503).end("try later");
    if (request.url === "/big") return void response.writeHead(500).end("e".repeat(1_000_000));
    if (request.url === "/slow") return; // never answers
    response.writeHead(200).end("ok");
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "::", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
});

describe("the SSRF guard", () => {
  const privateTargets = () => [
    `http://localhost:${port}/a`,
    `http://127.0.0.1:${port}/a`,
    `http://[::1]:${port}/a`,
    `http://[::ffff:127.0.0.1]:${port}/a`,
    `http://0.0.0.0:${port}/a`,
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
  ];

  it("refuses loopback, private, link-local, CGNAT and metadata addresses by default, before any request", async () => {
    for (const url of privateTargets()) {
      const result = await postJson(url, "{}", {}, { timeoutMs: 2000 });
      expect(result, url).toMatchObject({ ok: false, status: null, retry: false });
      expect(result.error, url).toMatch(/^refused: /);
    }
    expect(received).toEqual([]);
  });

  it("follows WEBHOOK_ALLOW_PRIVATE_NETWORKS (unset here: refused)", async () => {
    expect((await postJson(`http://127.0.0.1:${port}/a`, "{}")).error).toMatch(/^refused/);
    expect(received).toEqual([]);
  });

  it("lets local receivers through when private networks are allowed", async () => {
    for (const url of [`http://localhost:${port}/a`, `http://127.0.0.1:${port}/b`, `http://[::1]:${port}/c`]) {
      expect(await postJson(url, '{"x":1}', { "X-Test": "1" }, { allowPrivate: true }), url).toEqual({ ok: true, status: 200, error: null, retry: false });
    }
    expect(received.map((r) => r.path)).toEqual(["/a", "/b", "/c"]);
    expect(received[0]!.headers["user-agent"]).toBe(USER_AGENT);
    expect(received[0]!.headers["content-type"]).toBe("application/json");
    expect(received[0]!.headers["x-test"]).toBe("1");
    expect(received[0]!.body).toBe('{"x":1}');
  });

  it("takes only http and https URLs", async () => {
    for (const url of ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "not a url"]) {
      const result = await postJson(url, "{}", {}, { allowPrivate: true });
      expect(result, url).toMatchObject({ ok: false, retry: false });
    }
  });
});

describe("answers", () => {
  const post = (path: string, timeoutMs?: number) => postJson(`http://127.0.0.1:${port}${path}`, "{}", {}, { allowPrivate: true, timeoutMs });

  it("does not follow a redirect: a 3xx is a permanent failure", async () => {
    const result = await post("/redirect");
    expect(result).toMatchObject({ ok: false, status: 302, retry: false });
    expect(result.error).toContain("not followed");
    expect(received).toHaveLength(1);
  });

  it("a 404 is permanent, a 503 may pass", async () => {
    expect(await post("/gone")).toEqual({ ok: false, status: 404, error: "HTTP 404: no such hook", retry: false });
    expect(await post("/busy")).toEqual({ ok: false, status: 503, error: "HTTP 503: try later", retry: true });
  });

  it("reads only the start of a long error page", async () => {
    const result = await post("/big");
    expect(result).toMatchObject({ ok: false, status: 500, retry: true });
    expect(result.error!.length).toBeLessThanOrEqual(300);
  });

  it("gives up on a receiver that does not answer in time, and may retry it", async () => {
    const began = Date.now();
    const result = await post("/slow", 500);
    expect(Date.now() - began).toBeLessThan(2000);
    expect(result).toMatchObject({ ok: false, status: null, retry: true });
    expect(result.error).toMatch(/no answer within/);
  });

  it("a refused connection may pass", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await postJson(`http://127.0.0.1:${closedPort}/`, "{}", {}, { allowPrivate: true });
    expect(result).toMatchObject({ ok: false, status: null, retry: true });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });
});
