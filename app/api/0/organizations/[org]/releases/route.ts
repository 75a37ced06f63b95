import { z } from "zod";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, jsonBody, pagedJson, queryParams } from "@/lib/api/route";
import { serializeRelease } from "@/lib/api/serializers/releases";
import { orgForViewer } from "@/lib/orgs";
import { MAX_RELEASE_LIMIT, createRelease, listReleases } from "@/lib/releases";
import { parseHealthQuery } from "@/lib/sessions";

export const dynamic = "force-dynamic";

type Params = { org: string };

const listParams = z.object({
  query: z.string().max(200).optional(),
  // Sentry's -1 means every project
  project: z.string().regex(/^-?\d{1,9}$/, "project must be a numeric id").optional(),
  per_page: z.coerce.number().int().min(1).max(MAX_RELEASE_LIMIT).optional(),
  cursor: z.string().max(100).optional(),
});

export const GET = apiRoute<Params>(API_SCOPES.releaseRead, async ({ viewer, params, url, request }) => {
  await orgForViewer(viewer, params.org);
  const search = queryParams(url);
  const query = listParams.parse(search);
  const project = query.project === undefined || query.project === "-1" ? undefined : Number(query.project);
  const { releases, links } = await listReleases(viewer, {
    query: query.query,
    projectId: project,
    cursor: query.cursor,
    limit: query.per_page,
    health: parseHealthQuery(search),
  });
  return pagedJson(request, releases.map(serializeRelease), links);
});

// 201 when the release or one of its projects is new, 208 when it all existed (Sentry's answer).
export const POST = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ viewer, params, request }) => {
  await orgForViewer(viewer, params.org);
  const { release, changed } = await createRelease(viewer, await jsonBody(request));
  return Response.json(serializeRelease(release), { status: changed ? 201 : 208 });
});
