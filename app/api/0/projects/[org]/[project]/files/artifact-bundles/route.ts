import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { projectForViewer } from "@/lib/api/tenancy";
import { deleteArtifactBundleByBundleId, listArtifactBundles, serializeArtifactBundle } from "@/lib/artifacts/bundles";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

type Params = { org: string; project: string };

// Sentry's artifact bundle list of a project (newest first, the latest 100) and its delete by `?bundleId=`.
export const GET = apiRoute<Params>(API_SCOPES.releaseRead, async ({ viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  return Response.json((await listArtifactBundles(viewer, project.id)).map(serializeArtifactBundle));
});

export const DELETE = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ url, viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  const bundleId = url.searchParams.get("bundleId");
  if (!bundleId) throw new AppError("bad_request", "bundleId is required");
  await deleteArtifactBundleByBundleId(viewer, project.id, bundleId);
  return new Response(null, { status: 204 });
});
