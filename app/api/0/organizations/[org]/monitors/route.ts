import { z } from "zod";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, jsonBody, pagedJson, queryParams } from "@/lib/api/route";
import { MAX_MONITOR_LIMIT, listMonitors } from "@/lib/monitors/api-list";
import { serializeMonitor } from "@/lib/monitors/api-serialize";
import { createMonitor } from "@/lib/monitors/manage";
import { orgForViewer } from "@/lib/orgs";

export const dynamic = "force-dynamic";

type Params = { org: string };

const listParams = z.object({
  // ids or slugs, repeatable; Sentry's -1 means every project
  project: z.array(z.string().max(100)).max(100).optional(),
  query: z.string().max(200).optional(),
  per_page: z.coerce.number().int().min(1).max(MAX_MONITOR_LIMIT).optional(),
  cursor: z.string().max(100).optional(),
});

export const GET = apiRoute<Params>(API_SCOPES.monitorRead, async ({ viewer, params, url, request }) => {
  await orgForViewer(viewer, params.org);
  const query = listParams.parse(queryParams(url, ["project"]));
  const { monitors, links } = await listMonitors(viewer, {
    projects: query.project?.filter((p) => p !== "-1" && p !== ""),
    query: query.query,
    cursor: query.cursor,
    limit: query.per_page,
  });
  return pagedJson(request, monitors.map(serializeMonitor), links);
});

export const POST = apiRoute<Params>(API_SCOPES.monitorWrite, async ({ viewer, params, request }) => {
  await orgForViewer(viewer, params.org);
  return Response.json(serializeMonitor(await createMonitor(viewer, await jsonBody(request))), { status: 201 });
});
