import { readdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

// Each route's params type differs; `never` lets any of them be called with the matched params.
type Handler = (request: Request, context: { params: Promise<never> }) => Promise<Response>;
type Method = "GET" | "POST" | "PUT" | "DELETE";
type RouteModule = Partial<Record<Method, Handler>>;

const API_DIR = path.resolve(import.meta.dirname, "../../app/api/0");

/** Every app/api/0 route file with the path pattern Next gives it (a segment is [^/]+). */
function routeFiles(dir: string, pattern: string): [string, string][] {
  const found: [string, string][] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !entry.name.startsWith("_"))
      found.push(...routeFiles(path.join(dir, entry.name), `${pattern}/${entry.name}`));
    else if (entry.name === "route.ts") found.push([pattern, path.join(dir, entry.name)]);
  }
  return found;
}

// More specific patterns first: a literal segment wins over a [param] at the same place.
const ROUTES: [string, RouteModule][] = await Promise.all(
  routeFiles(API_DIR, "/api/0")
    .sort(([a], [b]) => specificity(b) - specificity(a))
    .map(async ([pattern, file]) => [pattern, (await import(file)) as RouteModule] as [string, RouteModule]),
);

function specificity(pattern: string): number {
  return pattern.split("/").reduce((score, segment) => score * 2 + (segment.startsWith("[") ? 0 : 1), 1);
}

function match(pathname: string): { module: RouteModule; params: Record<string, string> } | undefined {
  const parts = pathname.replace(/\/+$/, "").split("/");
  for (const [pattern, module] of ROUTES) {
    const segments = pattern.split("/");
    if (segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const same = segments.every((segment, i) => {
      if (segment.startsWith("[")) {
        params[segment.slice(1, -1)] = decodeURIComponent(parts[i]!);
        return true;
      }
      return segment === parts[i];
    });
    if (same) return { module, params };
  }
  return undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: tests assert on the shape of the JSON they get
export type ApiReply = { status: number; headers: Headers; body: string; json: () => any };

/**
 * Calls the route handler a path resolves to, as Next does: a Request and a params promise.
 * `path` may be a full URL (a Link header's), only its path and query are used.
 */
export async function callApi(
  method: Method,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiReply> {
  const url = new URL(path, "http://localhost:3000");
  const found = match(url.pathname);
  const handler = found?.module[method];
  if (!found || !handler) throw new Error(`no ${method} route for ${url.pathname}`);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await handler(new Request(url, { method, headers, body }), { params: Promise.resolve(found.params) as Promise<never> });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text, json: () => JSON.parse(text) };
}

/**
 * Serves the app/api/0 route handlers over HTTP on 127.0.0.1, the way `next start` routes
 * them, for clients that must talk HTTP (the real sentry-cli). A path with no handler is a 404.
 */
export async function startApiServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(async (incoming, outgoing) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of incoming) chunks.push(chunk as Buffer);
      const url = new URL(incoming.url ?? "/", `http://${incoming.headers.host}`);
      const method = (incoming.method ?? "GET") as Method;
      const found = match(url.pathname);
      const handler = found?.module[method];
      if (!found || !handler) {
        outgoing.writeHead(404, { "content-type": "application/json" }).end('{"detail":"Not found"}');
        return;
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      const body = method === "GET" || chunks.length === 0 ? undefined : Buffer.concat(chunks);
      const response = await handler(new Request(url, { method, headers, body }), {
        params: Promise.resolve(found.params) as Promise<never>,
      });
      outgoing.writeHead(response.status, Object.fromEntries(response.headers));
      outgoing.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      outgoing.writeHead(500, { "content-type": "text/plain" }).end(String(error));
    }
  });
  // fetch keeps its connection for the next request; with Node's 5 s keep-alive the server may
  // close it just as a test that worked longer between two requests (building a 20,000-entry
  // zip on a loaded machine) sends on it: ECONNRESET. The test's server keeps it instead.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The Link header as {previous, next}: url, results and cursor of each. */
export function parseLink(header: string | null) {
  const links: Record<string, { url: string; results: boolean; cursor: string }> = {};
  for (const part of (header ?? "").split(/,\s*(?=<)/)) {
    const match = /^<([^>]*)>; rel="(\w+)"; results="(true|false)"; cursor="([^"]*)"$/.exec(part.trim());
    if (match) links[match[2]!] = { url: match[1]!, results: match[3] === "true", cursor: match[4]! };
  }
  return links as { previous?: { url: string; results: boolean; cursor: string }; next?: { url: string; results: boolean; cursor: string } };
}
