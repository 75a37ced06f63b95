import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { serializeKey } from "@/lib/api/serializers/org";
import { projectForViewer } from "@/lib/api/tenancy";
import { listProjectKeys } from "@/lib/projects/listing";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ org: string; project: string }>(API_SCOPES.projectRead, async ({ viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  return Response.json((await listProjectKeys(viewer, project.id)).map(serializeKey));
});
