import { z } from "zod";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, jsonBody, pagedJson, pathId, queryParams } from "@/lib/api/route";
import { serializeEvent, serializeEventSummary } from "@/lib/api/serializers/event";
import { serializeIssueDetail } from "@/lib/api/serializers/issue";
import { serializeTagSummary, serializeTagValue } from "@/lib/api/serializers/tags";
import { MAX_FEEDBACK_LIMIT, listIssueFeedback } from "@/lib/feedback/list";
import { serializeUserReport } from "@/lib/feedback/serialize";
import { orgForViewer } from "@/lib/orgs";
import { issueEvent, listIssueEvents, parseEventSelector } from "@/lib/issues/events";
import { TAG_VALUE_SORTS, issueTagSummaries, issueTagSummary, issueTagValues } from "@/lib/issues/tags";
import { deleteIssue, parseIssueUpdate, updateIssues } from "@/lib/issues/update";
import { issueDetail } from "@/lib/issues/views";

// Handlers of one issue, shared by /organizations/{org}/issues/{id}/... and Sentry's older
// /issues/{id}/... paths (no org in the URL: the token's org).
type IssueParams = { org?: string; id: string };

async function detailResponse(viewer: Parameters<typeof issueDetail>[0], org: { slug: string }, id: number) {
  return Response.json(serializeIssueDetail(await issueDetail(viewer, id), org));
}

export const getIssue = apiRoute<IssueParams>(API_SCOPES.eventRead, async ({ viewer, params }) => {
  const org = await orgForViewer(viewer, params.org);
  return detailResponse(viewer, org, pathId(params.id));
});

export const putIssue = apiRoute<IssueParams>(API_SCOPES.eventWrite, async ({ viewer, params, request }) => {
  const org = await orgForViewer(viewer, params.org);
  const id = pathId(params.id);
  const update = parseIssueUpdate(await jsonBody(request), new Date());
  await updateIssues(viewer, [id], update);
  return detailResponse(viewer, org, id);
});

/** Sentry answers 202: its deletion is a background job; ours is done when we answer. */
export const deleteIssueRoute = apiRoute<IssueParams>(API_SCOPES.eventWrite, async ({ viewer, params }) => {
  await orgForViewer(viewer, params.org);
  await deleteIssue(viewer, pathId(params.id));
  return new Response(null, { status: 202 });
});

const eventListParams = z.object({
  full: z.enum(["true", "false", "1", "0"]).optional(),
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  environment: z.array(z.string().max(64)).optional(),
});

export const getIssueEvents = apiRoute<IssueParams>(API_SCOPES.eventRead, async ({ viewer, params, url, request }) => {
  await orgForViewer(viewer, params.org);
  const query = eventListParams.parse(queryParams(url, ["environment"]));
  const full = query.full === "true" || query.full === "1";
  const { events, links } = await listIssueEvents(viewer, pathId(params.id), {
    full,
    cursor: query.cursor,
    limit: query.limit,
    environments: query.environment,
  });
  return pagedJson(request, events.map((e) => (full ? serializeEvent(e) : serializeEventSummary(e))), links);
});

export const getIssueEvent = apiRoute<IssueParams & { eventId: string }>(API_SCOPES.eventRead, async ({ viewer, params }) => {
  await orgForViewer(viewer, params.org);
  const found = await issueEvent(viewer, pathId(params.id), parseEventSelector(params.eventId));
  return Response.json(
    serializeEvent(found.event, {
      culprit: found.issue.culprit,
      hashes: found.hashes,
      release: found.release,
      nextEventId: found.nextEventId,
      previousEventId: found.previousEventId,
    }),
  );
});

const tagsParams = z.object({ key: z.array(z.string().max(200)).optional() });

export const getIssueTags = apiRoute<IssueParams>(API_SCOPES.eventRead, async ({ viewer, params, url }) => {
  await orgForViewer(viewer, params.org);
  const { key } = tagsParams.parse(queryParams(url, ["key"]));
  const summaries = await issueTagSummaries(viewer, pathId(params.id), key);
  return Response.json(summaries.map(serializeTagSummary));
});

export const getIssueTag = apiRoute<IssueParams & { key: string }>(API_SCOPES.eventRead, async ({ viewer, params }) => {
  await orgForViewer(viewer, params.org);
  return Response.json(serializeTagSummary(await issueTagSummary(viewer, pathId(params.id), params.key)));
});

const tagValuesParams = z.object({
  sort: z.enum(Object.keys(TAG_VALUE_SORTS) as [keyof typeof TAG_VALUE_SORTS]).optional(),
  cursor: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

export const getIssueTagValues = apiRoute<IssueParams & { key: string }>(
  API_SCOPES.eventRead,
  async ({ viewer, params, url, request }) => {
    await orgForViewer(viewer, params.org);
    const query = tagValuesParams.parse(queryParams(url));
    const { values, links } = await issueTagValues(viewer, pathId(params.id), params.key, query);
    return pagedJson(request, values.map(serializeTagValue), links);
  },
);

const userReportsParams = z.object({
  per_page: z.coerce.number().int().min(1).max(MAX_FEEDBACK_LIMIT).optional(),
  cursor: z.string().max(100).optional(),
});

/** The user feedback on an issue's events, newest first (Sentry's issue user-reports). */
export const getIssueUserReports = apiRoute<IssueParams>(API_SCOPES.feedbackRead, async ({ viewer, params, url, request }) => {
  await orgForViewer(viewer, params.org);
  const query = userReportsParams.parse(queryParams(url));
  const { feedback, links } = await listIssueFeedback(viewer, pathId(params.id), { cursor: query.cursor, limit: query.per_page });
  return pagedJson(request, feedback.map(serializeUserReport), links);
});
