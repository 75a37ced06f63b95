import { z } from "zod";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, jsonBody, queryParams } from "@/lib/api/route";
import { getMonitor } from "@/lib/monitors/api-read";
import { serializeMonitor } from "@/lib/monitors/api-serialize";
import { deleteMonitor, updateMonitor } from "@/lib/monitors/manage";
import { orgForViewer } from "@/lib/orgs";

export const dynamic = "force-dynamic";

type Params = { org: string; slug: string };

// A slug is unique per project: ?project= (id or slug) picks one when the org has it twice.
const params = z.object({ project: z.string().min(1).max(100).optional() });

export const GET = apiRoute<Params>(API_SCOPES.monitorRead, async ({ viewer, params: path, url }) => {
  await orgForViewer(viewer, path.org);
  const { project } = params.parse(queryParams(url));
  return Response.json(serializeMonitor(await getMonitor(viewer, path.slug, project)));
});

export const PUT = apiRoute<Params>(API_SCOPES.monitorWrite, async ({ viewer, params: path, url, request }) => {
  await orgForViewer(viewer, path.org);
  const { project } = params.parse(queryParams(url));
  return Response.json(serializeMonitor(await updateMonitor(viewer, path.slug, project, await jsonBody(request))));
});

// Sentry answers a monitor's deletion with 202 (it deletes in the background; here it is done).
export const DELETE = apiRoute<Params>(API_SCOPES.monitorWrite, async ({ viewer, params: path, url }) => {
  await orgForViewer(viewer, path.org);
  const { project } = params.parse(queryParams(url));
  await deleteMonitor(viewer, path.slug, project);
  return new Response(null, { status: 202 });
});
