import { createAlertRule, listAlertRules } from "@/lib/alerts/rules";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, jsonBody } from "@/lib/api/route";
import { serializeAlertRule } from "@/lib/api/serializers/alert-rules";
import { projectForViewer } from "@/lib/api/tenancy";

export const dynamic = "force-dynamic";

type Params = { org: string; project: string };

export const GET = apiRoute<Params>(API_SCOPES.projectRead, async ({ viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  return Response.json((await listAlertRules(viewer, project.id)).map((rule) => serializeAlertRule(rule, project)));
});

export const POST = apiRoute<Params>(API_SCOPES.projectWrite, async ({ request, viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  const rule = await createAlertRule(viewer, project.id, await jsonBody(request));
  return Response.json(serializeAlertRule(rule, project), { status: 201 });
});
