import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, pagedJson } from "@/lib/api/route";
import { orgForViewer } from "@/lib/orgs";
import { listTransactions, parseTransactionListQuery } from "@/lib/performance/transactions-list";

export const dynamic = "force-dynamic";

type Params = { org: string };

/** A transaction name's recent (sort=-timestamp) or slowest (sort=-duration) transactions, paged. */
export const GET = apiRoute<Params>(API_SCOPES.performanceRead, async ({ viewer, params, url, request }) => {
  await orgForViewer(viewer, params.org);
  const { transactions, links } = await listTransactions(viewer, parseTransactionListQuery(url.searchParams));
  return pagedJson(request, transactions, links);
});
