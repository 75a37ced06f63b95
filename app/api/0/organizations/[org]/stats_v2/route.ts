import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { orgForViewer } from "@/lib/api/tenancy";
import { assertCan } from "@/lib/auth/permissions";
import { parseStatsQuery, usageStats } from "@/lib/usage/stats";

export const dynamic = "force-dynamic";

// Usage by outcome in Sentry's stats_v2 shape (field=sum(quantity), groupBy=outcome|category|
// reason|project, category=, outcome=, project=, statsPeriod= or start/end, interval=1d).
export const GET = apiRoute<{ org: string }>(API_SCOPES.orgRead, async ({ viewer, params, url }) => {
  const org = await orgForViewer(viewer, params.org);
  assertCan(viewer.role, "org:read");
  return Response.json(await usageStats(org.id, parseStatsQuery(url.searchParams)));
});
