import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, jsonBody, queryParams } from "@/lib/api/route";
import { serializeRelease } from "@/lib/api/serializers/releases";
import { projectForViewer } from "@/lib/api/tenancy";
import { assertReleaseInProject, deleteRelease, getReleaseDetail, updateRelease } from "@/lib/releases";
import { parseHealthQuery } from "@/lib/sessions";

export const dynamic = "force-dynamic";

// The organization's release paths seen through one project (sentry-cli 2.x finalizes here
// when SENTRY_PROJECT is set): the release must be one the project has.
type Params = { org: string; project: string; version: string };

// `?health=1`: the project's healthData (the release's other projects are left out, as Sentry does).
export const GET = apiRoute<Params>(API_SCOPES.releaseRead, async ({ viewer, params, url }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  await assertReleaseInProject(viewer, project.id, params.version);
  const health = parseHealthQuery(queryParams(url));
  return Response.json(serializeRelease(await getReleaseDetail(viewer, params.version, health && { ...health, projectId: project.id })));
});

export const PUT = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ viewer, params, request }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  await assertReleaseInProject(viewer, project.id, params.version);
  return Response.json(serializeRelease(await updateRelease(viewer, params.version, await jsonBody(request))));
});

export const DELETE = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  await assertReleaseInProject(viewer, project.id, params.version);
  await deleteRelease(viewer, params.version);
  return new Response(null, { status: 204 });
});
