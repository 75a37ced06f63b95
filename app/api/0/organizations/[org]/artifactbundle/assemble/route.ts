import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, jsonBody } from "@/lib/api/route";
import { requestAssembly } from "@/lib/artifacts/assemble-request";

export const dynamic = "force-dynamic";

type Params = { org: string };

// Answers {state, missingChunks, detail?} with 200 whatever the state; sentry-cli polls it.
export const POST = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ request, viewer, params }) =>
  Response.json(await requestAssembly(viewer, params.org, await jsonBody(request))),
);
