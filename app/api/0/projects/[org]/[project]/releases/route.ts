import { z } from "zod";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, jsonBody, pagedJson, queryParams } from "@/lib/api/route";
import { serializeRelease } from "@/lib/api/serializers/releases";
import { projectForViewer } from "@/lib/api/tenancy";
import { MAX_RELEASE_LIMIT, createRelease, listReleases } from "@/lib/releases";
import { parseHealthQuery } from "@/lib/sessions";

export const dynamic = "force-dynamic";

// A project's releases: `sentry-cli releases list` asks here when a project is configured, and
// older clients create releases here.
type Params = { org: string; project: string };

const listParams = z.object({
  query: z.string().max(200).optional(),
  per_page: z.coerce.number().int().min(1).max(MAX_RELEASE_LIMIT).optional(),
  cursor: z.string().max(100).optional(),
});

export const GET = apiRoute<Params>(API_SCOPES.releaseRead, async ({ viewer, params, url, request }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  const search = queryParams(url);
  const query = listParams.parse(search);
  const { releases, links } = await listReleases(viewer, {
    query: query.query,
    projectId: project.id,
    cursor: query.cursor,
    limit: query.per_page,
    health: parseHealthQuery(search),
  });
  return pagedJson(request, releases.map(serializeRelease), links);
});

export const POST = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ viewer, params, request }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  const { release, changed } = await createRelease(viewer, await jsonBody(request), { inProject: project.id });
  return Response.json(serializeRelease(release), { status: changed ? 201 : 208 });
});
