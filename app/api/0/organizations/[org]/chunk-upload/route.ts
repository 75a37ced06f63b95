import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { chunkUploadError, chunkUploadOptions, uploadChunks } from "@/lib/artifacts/chunk-upload";

export const dynamic = "force-dynamic";

type Params = { org: string };

export const GET = apiRoute<Params>(API_SCOPES.releaseRead, async ({ request, viewer, params }) =>
  Response.json(await chunkUploadOptions(viewer, params.org, request)),
);

// sentry-cli wants 200 with an empty body, or 400 with {"error": ...}.
export const POST = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ request, viewer, params }) => {
  try {
    await uploadChunks(viewer, params.org, request);
  } catch (error) {
    return chunkUploadError(error);
  }
  return new Response(null, { status: 200 });
});
