import type { Scope } from "../tokens";
import { duringWrite } from "../db-read";
import { AppError } from "../errors";
import { boundedBody } from "./body";
import type { PageLinks } from "../pagination";
import { type ApiViewer, authenticateRequest } from "./auth";
import { errorResponse } from "./errors";
import { linkHeader } from "./paging";

export type ApiContext<P> = { request: Request; url: URL; viewer: ApiViewer; params: P };
type RouteContext<P> = { params: Promise<P> };

/**
 * A REST handler: authenticates the bearer token against the scopes the endpoint needs, awaits
 * the route params, and maps any failure through the one error mapper. Route files stay thin.
 * A request other than GET or HEAD may write: with a read replica, it reads the primary and its
 * user's next reads see what it did (lib/db-read.ts).
 */
export function apiRoute<P>(scopes: readonly Scope[], handler: (context: ApiContext<P>) => Promise<Response>) {
  return async (request: Request, context: RouteContext<P>): Promise<Response> => {
    try {
      const viewer = await authenticateRequest(request, scopes);
      const params = await context.params;
      const run = () => handler({ request, url: new URL(request.url), viewer, params });
      if (request.method === "GET" || request.method === "HEAD") return await run();
      return await duringWrite(run, () => viewer.userId);
    } catch (error) {
      return errorResponse(error, request);
    }
  };
}

/** A JSON list with Sentry's Link header for paging. */
export function pagedJson(request: Request, body: unknown, links: PageLinks): Response {
  return Response.json(body, { headers: { link: linkHeader(request.url, links) } });
}

// The largest JSON body any route reads: set-commits of 10,000 commits with 10 files each is
// 4.6 MB. Unbounded, a refused 40 MB body cost 2.5 s and 357 MB of the web process.
const MAX_JSON_BODY_BYTES = 20 * 1024 * 1024;

/** The JSON body of a request; an empty, malformed or oversized (20 MiB) body is a 400. */
export async function jsonBody(request: Request): Promise<unknown> {
  const text = (await boundedBody(request, MAX_JSON_BODY_BYTES, "The request body")).toString("utf8");
  if (text.trim() === "") throw new AppError("bad_request", "The request body must be a JSON object");
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("bad_request", "Malformed JSON body");
  }
}

/** The query string as an object: one value per name, or every value for the `multi` names. */
export function queryParams(url: URL, multi: readonly string[] = []): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name of new Set(url.searchParams.keys())) {
    out[name] = multi.includes(name) ? url.searchParams.getAll(name) : url.searchParams.get(name)!;
  }
  return out;
}

const MAX_INT = 2_147_483_647;

/** A numeric id from the path; anything else (words, overflow) is simply not found. */
export function pathId(text: string | undefined): number {
  if (!text || !/^\d{1,10}$/.test(text)) throw new AppError("not_found", "no such id");
  const id = Number(text);
  if (id < 1 || id > MAX_INT) throw new AppError("not_found", "no such id");
  return id;
}
