import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, jsonBody } from "@/lib/api/route";
import { serializeDeploy } from "@/lib/api/serializers/releases";
import { orgForViewer } from "@/lib/orgs";
import { createDeploy, listDeploys } from "@/lib/releases";

export const dynamic = "force-dynamic";

type Params = { org: string; version: string };

export const GET = apiRoute<Params>(API_SCOPES.releaseRead, async ({ viewer, params }) => {
  await orgForViewer(viewer, params.org);
  return Response.json((await listDeploys(viewer, params.version)).map(serializeDeploy));
});

// 201, or 208 when the same deploy (a retried request) is already recorded.
export const POST = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ viewer, params, request }) => {
  await orgForViewer(viewer, params.org);
  const { deploy, created } = await createDeploy(viewer, params.version, await jsonBody(request));
  return Response.json(serializeDeploy(deploy), { status: created ? 201 : 208 });
});
