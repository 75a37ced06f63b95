import { z } from "zod";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, pagedJson, queryParams } from "@/lib/api/route";
import { MAX_CHECKIN_LIMIT, listMonitorCheckIns } from "@/lib/monitors/api-checkins";
import { serializeCheckIn } from "@/lib/monitors/api-serialize";
import { orgForViewer } from "@/lib/orgs";

export const dynamic = "force-dynamic";

type Params = { org: string; slug: string };

const listParams = z.object({
  project: z.string().min(1).max(100).optional(),
  environment: z.array(z.string().max(64)).max(20).optional(),
  per_page: z.coerce.number().int().min(1).max(MAX_CHECKIN_LIMIT).optional(),
  cursor: z.string().max(100).optional(),
});

// Newest first, paged with Sentry's Link header.
export const GET = apiRoute<Params>(API_SCOPES.monitorRead, async ({ viewer, params, url, request }) => {
  await orgForViewer(viewer, params.org);
  const query = listParams.parse(queryParams(url, ["environment"]));
  const { checkIns, links } = await listMonitorCheckIns(viewer, params.slug, {
    project: query.project,
    environments: query.environment,
    cursor: query.cursor,
    limit: query.per_page,
  });
  return pagedJson(request, checkIns.map(serializeCheckIn), links);
});
