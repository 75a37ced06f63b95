import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { serializeRepository } from "@/lib/api/serializers/releases";
import { orgForViewer } from "@/lib/orgs";
import { listRepositories } from "@/lib/releases";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ org: string }>(API_SCOPES.releaseRead, async ({ viewer, params }) => {
  await orgForViewer(viewer, params.org);
  return Response.json((await listRepositories(viewer)).map(serializeRepository));
});
