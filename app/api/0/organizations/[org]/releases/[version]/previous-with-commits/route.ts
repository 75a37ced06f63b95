import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { serializeRelease } from "@/lib/api/serializers/releases";
import { orgForViewer } from "@/lib/orgs";
import { previousReleaseWithCommits } from "@/lib/releases";

export const dynamic = "force-dynamic";

type Params = { org: string; version: string };

// `set-commits` asks where the previous release's commits ended; `{}` when there is none.
export const GET = apiRoute<Params>(API_SCOPES.releaseRead, async ({ viewer, params }) => {
  await orgForViewer(viewer, params.org);
  const previous = await previousReleaseWithCommits(viewer, params.version);
  return Response.json(previous ? serializeRelease(previous) : {});
});
