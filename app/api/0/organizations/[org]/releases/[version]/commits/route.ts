import { z } from "zod";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, pagedJson, queryParams } from "@/lib/api/route";
import { serializeCommit } from "@/lib/api/serializers/releases";
import { orgForViewer } from "@/lib/orgs";
import { listReleaseCommits } from "@/lib/releases";

export const dynamic = "force-dynamic";

type Params = { org: string; version: string };

const listParams = z.object({
  cursor: z.string().max(100).optional(),
  per_page: z.coerce.number().int().min(1).max(100).optional(),
});

export const GET = apiRoute<Params>(API_SCOPES.releaseRead, async ({ viewer, params, url, request }) => {
  await orgForViewer(viewer, params.org);
  const query = listParams.parse(queryParams(url));
  const { commits, links } = await listReleaseCommits(viewer, params.version, { cursor: query.cursor, limit: query.per_page });
  return pagedJson(request, commits.map(serializeCommit), links);
});
