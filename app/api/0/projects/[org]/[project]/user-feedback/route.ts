import { z } from "zod";
import { API_SCOPES } from "@/lib/api/auth";
import { errorResponse } from "@/lib/api/errors";
import { apiRoute, jsonBody, pagedJson, queryParams } from "@/lib/api/route";
import { projectForViewer } from "@/lib/api/tenancy";
import { MAX_FEEDBACK_LIMIT, listProjectFeedback } from "@/lib/feedback/list";
import { serializeUserReport } from "@/lib/feedback/serialize";
import { feedbackTarget, submitUserReport } from "@/lib/feedback/submit";

export const dynamic = "force-dynamic";

// Sentry's legacy user feedback: both kinds (widget feedback and user reports), newest first.
type Params = { org: string; project: string };

const listParams = z.object({
  per_page: z.coerce.number().int().min(1).max(MAX_FEEDBACK_LIMIT).optional(),
  cursor: z.string().max(100).optional(),
});

export const GET = apiRoute<Params>(API_SCOPES.feedbackRead, async ({ viewer, params, url, request }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  const query = listParams.parse(queryParams(url));
  const { feedback, links } = await listProjectFeedback(viewer, project.id, { cursor: query.cursor, limit: query.per_page });
  return pagedJson(request, feedback.map(serializeUserReport), links);
});

// A bearer token or Sentry's `Authorization: DSN <dsn>` (browsers post with the public DSN).
export async function POST(request: Request, context: { params: Promise<Params> }): Promise<Response> {
  try {
    const params = await context.params;
    const target = await feedbackTarget(request, params.org, params.project);
    return Response.json(serializeUserReport(await submitUserReport(target, await jsonBody(request))));
  } catch (error) {
    return errorResponse(error, request);
  }
}
