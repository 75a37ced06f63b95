import { sendTestNotification } from "@/lib/alerts/deliveries";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, pathId } from "@/lib/api/route";
import { projectForViewer } from "@/lib/api/tenancy";

export const dynamic = "force-dynamic";

// Sends the rule's actions now (a sample when the project has no issue yet) and says how each went.
export const POST = apiRoute<{ org: string; project: string; id: string }>(API_SCOPES.projectWrite, async ({ viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  const results = await sendTestNotification(viewer, project.id, pathId(params.id));
  return Response.json({ results });
});
