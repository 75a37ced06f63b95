import * as issueAlias from "@/app/api/0/issues/[id]/route";
import * as issueAliasEvent from "@/app/api/0/issues/[id]/events/[eventId]/route";
import * as issueAliasEvents from "@/app/api/0/issues/[id]/events/route";
import * as issueAliasTag from "@/app/api/0/issues/[id]/tags/[key]/route";
import * as issueAliasTagValues from "@/app/api/0/issues/[id]/tags/[key]/values/route";
import * as issueAliasTags from "@/app/api/0/issues/[id]/tags/route";
import * as issue from "@/app/api/0/organizations/[org]/issues/[id]/route";
import * as issueEvent from "@/app/api/0/organizations/[org]/issues/[id]/events/[eventId]/route";
import * as issueEvents from "@/app/api/0/organizations/[org]/issues/[id]/events/route";
import * as issueTag from "@/app/api/0/organizations/[org]/issues/[id]/tags/[key]/route";
import * as issueTagValues from "@/app/api/0/organizations/[org]/issues/[id]/tags/[key]/values/route";
import * as issueTags from "@/app/api/0/organizations/[org]/issues/[id]/tags/route";
import * as orgIssues from "@/app/api/0/organizations/[org]/issues/route";
import * as orgProjects from "@/app/api/0/organizations/[org]/projects/route";
import * as org from "@/app/api/0/organizations/[org]/route";
import * as orgs from "@/app/api/0/organizations/route";
import * as projectIssues from "@/app/api/0/projects/[org]/[project]/issues/route";
import * as projectKeys from "@/app/api/0/projects/[org]/[project]/keys/route";
import * as project from "@/app/api/0/projects/[org]/[project]/route";
import * as projectRule from "@/app/api/0/projects/[org]/[project]/rules/[id]/route";
import * as projectRuleTest from "@/app/api/0/projects/[org]/[project]/rules/[id]/test/route";
import * as projectRules from "@/app/api/0/projects/[org]/[project]/rules/route";

// Each route's params type differs; `never` lets any of them be called with the matched params.
type Handler = (request: Request, context: { params: Promise<never> }) => Promise<Response>;
type Method = "GET" | "POST" | "PUT" | "DELETE";
type RouteModule = Partial<Record<Method, Handler>>;

// The app/api/0 route files with the path patterns Next gives them (a segment is [^/]+).
const ROUTES: [string, RouteModule][] = [
  ["/api/0/organizations", orgs],
  ["/api/0/organizations/[org]", org],
  ["/api/0/organizations/[org]/projects", orgProjects],
  ["/api/0/organizations/[org]/issues", orgIssues],
  ["/api/0/organizations/[org]/issues/[id]", issue],
  ["/api/0/organizations/[org]/issues/[id]/events", issueEvents],
  ["/api/0/organizations/[org]/issues/[id]/events/[eventId]", issueEvent],
  ["/api/0/organizations/[org]/issues/[id]/tags", issueTags],
  ["/api/0/organizations/[org]/issues/[id]/tags/[key]", issueTag],
  ["/api/0/organizations/[org]/issues/[id]/tags/[key]/values", issueTagValues],
  ["/api/0/issues/[id]", issueAlias],
  ["/api/0/issues/[id]/events", issueAliasEvents],
  ["/api/0/issues/[id]/events/[eventId]", issueAliasEvent],
  ["/api/0/issues/[id]/tags", issueAliasTags],
  ["/api/0/issues/[id]/tags/[key]", issueAliasTag],
  ["/api/0/issues/[id]/tags/[key]/values", issueAliasTagValues],
  ["/api/0/projects/[org]/[project]", project],
  ["/api/0/projects/[org]/[project]/keys", projectKeys],
  ["/api/0/projects/[org]/[project]/issues", projectIssues],
  ["/api/0/projects/[org]/[project]/rules", projectRules],
  ["/api/0/projects/[org]/[project]/rules/[id]", projectRule],
  ["/api/0/projects/[org]/[project]/rules/[id]/test", projectRuleTest],
];

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

/** The Link header as {previous, next}: url, results and cursor of each. */
export function parseLink(header: string | null) {
  const links: Record<string, { url: string; results: boolean; cursor: string }> = {};
  for (const part of (header ?? "").split(/,\s*(?=<)/)) {
    const match = /^<([^>]*)>; rel="(\w+)"; results="(true|false)"; cursor="([^"]*)"$/.exec(part.trim());
    if (match) links[match[2]!] = { url: match[1]!, results: match[3] === "true", cursor: match[4]! };
  }
  return links as { previous?: { url: string; results: boolean; cursor: string }; next?: { url: string; results: boolean; cursor: string } };
}
