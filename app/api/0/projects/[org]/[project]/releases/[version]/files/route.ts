import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute, pagedJson } from "@/lib/api/route";
import { projectForViewer } from "@/lib/api/tenancy";
import { listReleaseFiles, releaseFileFromRequest, serializeReleaseFile, uploadReleaseFile } from "@/lib/artifacts/release-files";

export const dynamic = "force-dynamic";

type Params = { org: string; project: string; version: string };

// Legacy release files (sentry-cli before artifact bundles, older bundler plugins).
export const GET = apiRoute<Params>(API_SCOPES.releaseRead, async ({ request, url, viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  const { files, links } = await listReleaseFiles(viewer, project.id, params.version, { cursor: url.searchParams.get("cursor") ?? undefined });
  return pagedJson(request, files.map(serializeReleaseFile), links);
});

export const POST = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ request, viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  const file = await uploadReleaseFile(viewer, project.id, params.version, await releaseFileFromRequest(request));
  return Response.json(serializeReleaseFile(file), { status: 201 });
});
