import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";

/** The environment names events of the viewer's org have carried, for filters. */
export async function listEnvironments(viewer: Viewer): Promise<string[]> {
  assertCan(viewer.role, "projects:read");
  const rows = await db().environment.findMany({
    where: { orgId: viewer.orgId },
    distinct: ["name"],
    orderBy: { name: "asc" },
    select: { name: true },
  });
  return rows.map((r) => r.name);
}
