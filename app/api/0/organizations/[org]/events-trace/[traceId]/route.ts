import { z } from "zod";
import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { AppError } from "@/lib/errors";
import { orgForViewer } from "@/lib/orgs";
import { traceForViewer } from "@/lib/performance/trace";

export const dynamic = "force-dynamic";

type Params = { org: string; traceId: string };

// 32 hex characters as SDKs send them (dashed as a uuid is read too); anything else is a 400
// that says so, rather than a 404 that reads like "no such trace".
const traceId = z
  .string()
  .regex(
    /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/,
    "a trace id is 32 hex characters",
  );

/** The org's transactions of the trace as a tree, and its errors; 404 when the org has none. */
export const GET = apiRoute<Params>(API_SCOPES.performanceRead, async ({ viewer, params }) => {
  await orgForViewer(viewer, params.org);
  const trace = await traceForViewer(viewer, traceId.parse(params.traceId));
  if (!trace) throw new AppError("not_found", "no such trace");
  return Response.json(trace);
});
