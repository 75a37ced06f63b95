import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, pagedJson } from "@/lib/api/route";
import { orgForViewer } from "@/lib/orgs";
import { listTransactionGroups, parseTransactionGroupQuery } from "@/lib/performance/summaries";

export const dynamic = "force-dynamic";

// The transactions list: per (project, transaction, op, method), count, throughput, duration
// percentiles, failure rate, Apdex and errors over statsPeriod or start/end; project=
// (ids or slugs, repeatable), environment=, release=, query= (part of the name),
// sort=-count|-throughput|-p95|-failureRate, cursor= (Link header paging).
export const GET = apiRoute<{ org: string }>(
  API_SCOPES.performanceRead,
  async ({ viewer, params, url, request }) => {
    await orgForViewer(viewer, params.org);
    const { groups, links } = await listTransactionGroups(
      viewer,
      parseTransactionGroupQuery(url.searchParams),
    );
    return pagedJson(
      request,
      groups.map(({ series: _series, ...summary }) => summary),
      links,
    );
  },
);
