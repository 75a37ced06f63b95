import { z } from "zod";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, pagedJson, pathId, queryParams } from "@/lib/api/route";
import { MAX_FEEDBACK_LIMIT, listIssueFeedback } from "@/lib/feedback/list";
import { serializeUserReport } from "@/lib/feedback/serialize";
import { orgForViewer } from "@/lib/orgs";

export const dynamic = "force-dynamic";

// The user feedback on an issue's events, newest first (Sentry's issue user-reports; this org-less path
// is Sentry's older one: the token's org).
type Params = { org?: string; id: string };

const listParams = z.object({
  per_page: z.coerce.number().int().min(1).max(MAX_FEEDBACK_LIMIT).optional(),
  cursor: z.string().max(100).optional(),
});

export const GET = apiRoute<Params>(API_SCOPES.feedbackRead, async ({ viewer, params, url, request }) => {
  await orgForViewer(viewer, params.org);
  const query = listParams.parse(queryParams(url));
  const { feedback, links } = await listIssueFeedback(viewer, pathId(params.id), { cursor: query.cursor, limit: query.per_page });
  return pagedJson(request, feedback.map(serializeUserReport), links);
});
