import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { orgForViewer } from "@/lib/orgs";
import { orgEventForViewer } from "@/lib/performance/org-event";

export const dynamic = "force-dynamic";

type Params = { org: string; eventRef: string };

/** `{project_slug}:{event_id}`: a transaction with its `spans` entry, or an error event. */
export const GET = apiRoute<Params>(API_SCOPES.performanceRead, async ({ viewer, params }) => {
  await orgForViewer(viewer, params.org);
  return Response.json(await orgEventForViewer(viewer, params.eventRef));
});
