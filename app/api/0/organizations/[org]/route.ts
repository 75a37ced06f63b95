import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { serializeOrgDetail } from "@/lib/api/serializers/org";
import { orgForViewer } from "@/lib/api/tenancy";
import { assertCan, can } from "@/lib/auth/permissions";
import { listProjects } from "@/lib/projects/listing";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ org: string }>(API_SCOPES.orgRead, async ({ viewer, params }) => {
  const org = await orgForViewer(viewer, params.org);
  assertCan(viewer.role, "org:read");
  const projects = can(viewer.role, "projects:read") ? await listProjects(viewer) : [];
  return Response.json(serializeOrgDetail(org, viewer, projects));
});
