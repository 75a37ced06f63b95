import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { orgForViewer } from "@/lib/orgs";
import { parseSessionsQuery, querySessions } from "@/lib/sessions";

export const dynamic = "force-dynamic";

// Release health in Sentry's shape: field=sum(session)|count_unique(user)|crash_free_rate(...)
// (repeatable), groupBy=session.status|release|environment|project, project=, environment=,
// statsPeriod= or start/end, interval=, query=release:X environment:Y.
export const GET = apiRoute<{ org: string }>(API_SCOPES.sessionsRead, async ({ viewer, params, url }) => {
  await orgForViewer(viewer, params.org);
  return Response.json(await querySessions(viewer, parseSessionsQuery(url.searchParams)));
});
