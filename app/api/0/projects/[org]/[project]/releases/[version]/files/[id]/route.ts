import { API_SCOPES } from "@/lib/api/auth";
import { apiRoute } from "@/lib/api/route";
import { projectForViewer } from "@/lib/api/tenancy";
import { deleteReleaseFile, downloadReleaseFile, getReleaseFile, parseReleaseFileId, serializeReleaseFile } from "@/lib/artifacts/release-files";

export const dynamic = "force-dynamic";

type Params = { org: string; project: string; version: string; id: string };

// `?download=1` answers the file's bytes, as Sentry's endpoint does.
export const GET = apiRoute<Params>(API_SCOPES.releaseRead, async ({ url, viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  const id = parseReleaseFileId(params.id);
  if (url.searchParams.get("download") === "1") {
    const { file, data } = await downloadReleaseFile(viewer, project.id, params.version, id);
    return new Response(new Uint8Array(data), {
      headers: { "content-type": "application/octet-stream", "content-disposition": `attachment; filename="${encodeURIComponent(file.name.split("/").at(-1) || "file")}"` },
    });
  }
  return Response.json(serializeReleaseFile(await getReleaseFile(viewer, project.id, params.version, id)));
});

export const DELETE = apiRoute<Params>(API_SCOPES.releaseWrite, async ({ viewer, params }) => {
  const { project } = await projectForViewer(viewer, params.org, params.project);
  await deleteReleaseFile(viewer, project.id, params.version, parseReleaseFileId(params.id));
  return new Response(null, { status: 204 });
});
