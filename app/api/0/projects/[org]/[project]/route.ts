import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { serializeProject } from "@/lib/api/serializers/org";
import { projectForViewer } from "@/lib/api/tenancy";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ org: string; project: string }>(API_SCOPES.projectRead, async ({ viewer, params }) => {
  const { org, project } = await projectForViewer(viewer, params.org, params.project);
  return Response.json(serializeProject(project, org));
});
