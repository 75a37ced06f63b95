import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { serializeOrg } from "@/lib/api/serializers/org";
import { orgForViewer } from "@/lib/orgs";

export const dynamic = "force-dynamic";

/** A token is scoped to one org: the list is that org. */
export const GET = apiRoute(API_SCOPES.orgRead, async ({ viewer }) => {
  return Response.json([serializeOrg(await orgForViewer(viewer, undefined))]);
});
