import { deleteAlertRule, getAlertRule, updateAlertRule } from "@/lib/alerts/rules";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, jsonBody, pathId } from "@/lib/api/route";
import { serializeAlertRule } from "@/lib/api/serializers/alert-rules";
import { projectForViewer } from "@/lib/api/tenancy";

export const dynamic = "force-dynamic";

type Params = { org: string; project: string; id: string };

export const GET = apiRoute<Params>(API_SCOPES.projectRead, async ({ viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  return Response.json(serializeAlertRule(await getAlertRule(viewer, project.id, pathId(params.id)), project));
});

export const PUT = apiRoute<Params>(API_SCOPES.projectWrite, async ({ request, viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  const rule = await updateAlertRule(viewer, project.id, pathId(params.id), await jsonBody(request));
  return Response.json(serializeAlertRule(rule, project));
});

// Sentry answers a rule's deletion with 202 and no body.
export const DELETE = apiRoute<Params>(API_SCOPES.projectWrite, async ({ viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  await deleteAlertRule(viewer, project.id, pathId(params.id));
  return new Response(null, { status: 202 });
});
