import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { serializeProject } from "@/lib/api/serializers/org";
import { orgForViewer } from "@/lib/orgs";
import { listProjects } from "@/lib/projects/listing";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ org: string }>(API_SCOPES.projectList, async ({ viewer, params }) => {
  await orgForViewer(viewer, params.org);
  return Response.json((await listProjects(viewer)).map((p) => serializeProject(p)));
});
