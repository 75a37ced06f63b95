import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { orgForViewer } from "@/lib/orgs";
import { parseStatsQuery, usageStats } from "@/lib/usage/stats";

export const dynamic = "force-dynamic";

// Usage by outcome in Sentry's stats_v2 shape (field=sum(quantity), groupBy=outcome|category|
// reason|project, category=, outcome=, project=, statsPeriod= or start/end, interval=1d).
export const GET = apiRoute<{ org: string }>(API_SCOPES.orgRead, async ({ viewer, params, url }) => {
  await orgForViewer(viewer, params.org);
  return Response.json(await usageStats(viewer, parseStatsQuery(url.searchParams)));
});
