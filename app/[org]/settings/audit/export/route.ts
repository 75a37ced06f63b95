import { exportAuditLogCsv } from "@/lib/audit/export";
import { viewerForOrg } from "@/lib/auth/viewer";
import { AppError } from "@/lib/errors";
import { currentUser } from "../../../../(auth)/session";

export const dynamic = "force-dynamic";

// The audit log as a CSV download (Business plan, or any self-hosted install).
export async function GET(_request: Request, { params }: { params: Promise<{ org: string }> }) {
  const user = await currentUser();
  if (!user) return new Response("Sign in first.", { status: 401 });
  const { org } = await params;
  const viewer = await viewerForOrg(user.id, org);
  if (!viewer) return new Response("Not found.", { status: 404 });
  try {
    return new Response(await exportAuditLogCsv(viewer), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${org}-audit-log-${new Date().toISOString().slice(0, 10)}.csv"`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    if (error instanceof AppError) return new Response(error.message, { status: error.status });
    throw error;
  }
}
