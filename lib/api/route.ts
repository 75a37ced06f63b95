import type { Scope } from "../tokens";
import { AppError } from "../errors";
import type { PageLinks } from "../pagination";
import { type ApiViewer, authenticateRequest } from "./auth";
import { errorResponse } from "./errors";
import { linkHeader } from "./paging";

export type ApiContext<P> = { request: Request; url: URL; viewer: ApiViewer; params: P };
type RouteContext<P> = { params: Promise<P> };

/**
 * A REST handler: authenticates the bearer token against the scopes the endpoint needs, awaits
 * the route params, and maps any failure through the one error mapper. Route files stay thin.
 */
export function apiRoute<P>(scopes: readonly Scope[], handler: (context: ApiContext<P>) => Promise<Response>) {
  return async (request: Request, context: RouteContext<P>): Promise<Response> => {
    try {
      const viewer = await authenticateRequest(request, scopes);
      return await handler({ request, url: new URL(request.url), viewer, params: await context.params });
    } catch (error) {
      return errorResponse(error, request);
    }
  };
}

/** A JSON list with Sentry's Link header for paging. */
export function pagedJson(request: Request, body: unknown, links: PageLinks): Response {
  return Response.json(body, { headers: { link: linkHeader(request.url, links) } });
}

/** The JSON body of a request; an empty or malformed body is a 400. */
export async function jsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
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
