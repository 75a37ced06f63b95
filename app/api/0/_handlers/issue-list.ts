import { z } from "zod";
import type { ApiContext } from "@/lib/api/route";
import { jsonBody, pagedJson, queryParams } from "@/lib/api/route";
import { serializeAssignee, serializeIssue } from "@/lib/api/serializers/issue";
import type { ApiOrg } from "@/lib/api/tenancy";
import { AppError } from "@/lib/errors";
import { ISSUE_SORTS, type IssueFilter, listIssues, matchingIssueIds } from "@/lib/issues/list";
import { parseIssueUpdate, updateIssues } from "@/lib/issues/update";

// The issue stream of an org (optionally some of its projects) or of one project.
const listParams = z.object({
  query: z.string().max(2000).optional(),
  statsPeriod: z.string().max(10).optional(),
  groupStatsPeriod: z.enum(["24h", "14d", "auto", ""]).optional(),
  sort: z.enum(ISSUE_SORTS, { error: `sort must be one of ${ISSUE_SORTS.join(", ")}` }).optional(),
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  // Sentry's -1 means every project.
  project: z.array(z.string().regex(/^-?\d{1,9}$/, "project must be a numeric id")).optional(),
  environment: z.array(z.string().max(64)).optional(),
  id: z.array(z.string()).optional(),
});
const MULTI = ["project", "environment", "id"] as const;

function filterOf(params: z.infer<typeof listParams>, projectIds: number[] | undefined): IssueFilter {
  const fromQuery = (params.project ?? []).map(Number).filter((id) => id !== -1);
  return {
    projectIds: projectIds ?? fromQuery,
    query: params.query,
    environments: params.environment,
    statsPeriod: params.statsPeriod || undefined,
  };
}

/** GET: one page of issues with Sentry's Link header. */
export async function issueListResponse(context: ApiContext<unknown>, org: ApiOrg, projectIds?: number[]) {
  const params = listParams.parse(queryParams(context.url, MULTI));
  const stats =
    params.groupStatsPeriod === "" ? null : params.groupStatsPeriod === "14d" || params.statsPeriod === "14d" ? "14d" : "24h";
  const { issues, links } = await listIssues(context.viewer, {
    ...filterOf(params, projectIds),
    sort: params.sort,
    cursor: params.cursor,
    limit: params.limit,
    stats,
  });
  return pagedJson(
    context.request,
    issues.map((issue) => serializeIssue(issue, org)),
    links,
  );
}

// Sentry's bulk mutation limit: without ids, an update applies to at most this many matches.
const BULK_LIMIT = 1000;

/**
 * PUT: bulk update, of the issues named by `?id=` (all must be the org's, else 404), or
 * without ids of the first 1000 issues matching the query (default is:unresolved), as Sentry
 * does. Answers the fields set, or 204 when no issue matched.
 */
export async function issueBulkUpdateResponse(context: ApiContext<unknown>, projectIds?: number[]) {
  const params = listParams.parse(queryParams(context.url, MULTI));
  const update = parseIssueUpdate(await jsonBody(context.request), new Date());
  let ids: number[];
  if (params.id && params.id.length > 0) {
    ids = params.id.map((text) => {
      if (!/^\d{1,9}$/.test(text)) throw new AppError("not_found", "no such issue");
      return Number(text);
    });
  } else {
    ids = await matchingIssueIds(context.viewer, filterOf(params, projectIds), BULK_LIMIT);
    if (ids.length === 0) return new Response(null, { status: 204 });
  }
  const { assignee } = await updateIssues(context.viewer, ids, update, { projectIds });
  const body: Record<string, unknown> = {};
  if (update.status) {
    const change = update.status;
    body.status = change.status;
    const details: Record<string, unknown> = {};
    if (change.status === "ignored") {
      if (change.until) details.ignoreUntil = change.until.toISOString();
      if (change.count !== undefined) details.ignoreCount = change.count;
      if (change.untilEscalating) details.ignoreUntilEscalating = true;
    }
    if (change.status === "resolved" && change.inNextRelease) details.inNextRelease = true;
    if (change.status === "resolved" && change.inRelease !== undefined) details.inRelease = change.inRelease;
    body.statusDetails = details;
  }
  if (assignee !== undefined) body.assignedTo = serializeAssignee(assignee);
  return Response.json(body);
}
