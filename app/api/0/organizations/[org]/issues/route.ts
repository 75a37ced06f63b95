import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { orgForViewer } from "@/lib/orgs";
import { issueBulkUpdateResponse, issueListResponse } from "../../../_handlers/issue-list";

export const dynamic = "force-dynamic";

/** The org-wide issue stream (`?project=` narrows it). */
export const GET = apiRoute<{ org: string }>(API_SCOPES.eventRead, async (context) => {
  return issueListResponse(context, await orgForViewer(context.viewer, context.params.org));
});

export const PUT = apiRoute<{ org: string }>(API_SCOPES.eventWrite, async (context) => {
  await orgForViewer(context.viewer, context.params.org);
  return issueBulkUpdateResponse(context);
});
