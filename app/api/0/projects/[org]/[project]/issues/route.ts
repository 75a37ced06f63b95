import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { projectForViewer } from "@/lib/api/tenancy";
import { issueBulkUpdateResponse, issueListResponse } from "../../../../_handlers/issue-list";

export const dynamic = "force-dynamic";

type Params = { org: string; project: string };

/** One project's issue stream. */
export const GET = apiRoute<Params>(API_SCOPES.eventRead, async (context) => {
  const { org, project } = await projectForViewer(context.viewer, context.params.org, context.params.project);
  return issueListResponse(context, org, [project.id]);
});

export const PUT = apiRoute<Params>(API_SCOPES.eventWrite, async (context) => {
  const { project } = await projectForViewer(context.viewer, context.params.org, context.params.project);
  return issueBulkUpdateResponse(context, [project.id]);
});
