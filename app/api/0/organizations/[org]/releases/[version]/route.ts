import { z } from "zod";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, jsonBody, queryParams } from "@/lib/api/route";
import { serializeRelease } from "@/lib/api/serializers/releases";
import { orgForViewer } from "@/lib/orgs";
import { deleteRelease, getReleaseDetail, updateRelease } from "@/lib/releases";
import { parseHealthQuery } from "@/lib/sessions";

export const dynamic = "force-dynamic";

// The version comes percent-decoded from the path (`my-app%401.0.0%2Bbuild`).
type Params = { org: string; version: string };

// `?health=1` (with healthStat, summaryStatsPeriod, healthStatsPeriod): each project's
// healthData; with `&project=<id>` only that project's, as Sentry answers.
const healthProject = z.string().regex(/^\d{1,9}$/, "Invalid project").optional();

export const GET = apiRoute<Params>(API_SCOPES.releaseRead, async ({ viewer, params, url }) => {
  await orgForViewer(viewer, params.org);
  const search = queryParams(url);
  const health = parseHealthQuery(search);
  const project = health ? healthProject.parse(search.project) : undefined;
  const options = health && { ...health, projectId: project === undefined ? undefined : Number(project) };
  return Response.json(serializeRelease(await getReleaseDetail(viewer, params.version, options)));
});

// `releases finalize` (dateReleased), `set-commits` (commits or refs), ref, url, projects.
export const PUT = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ viewer, params, request }) => {
  await orgForViewer(viewer, params.org);
  return Response.json(serializeRelease(await updateRelease(viewer, params.version, await jsonBody(request))));
});

export const DELETE = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ viewer, params }) => {
  await orgForViewer(viewer, params.org);
  await deleteRelease(viewer, params.version);
  return new Response(null, { status: 204 });
});
