import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { serializeOrgDetail } from "@/lib/api/serializers/org";
import { orgDetailForViewer } from "@/lib/api/tenancy";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ org: string }>(API_SCOPES.orgRead, async ({ viewer, params }) => {
  const { org, projects } = await orgDetailForViewer(viewer, params.org);
  return Response.json(serializeOrgDetail(org, viewer, projects));
});
