import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { AppError } from "../errors";
import { isPossibleVersion } from "./lookup";

/**
 * Sentry's project-scoped release paths (`projects/{org}/{project}/releases/{version}/`, what
 * sentry-cli 2.x finalizes through when a project is configured) serve a release only if that
 * project has it: anything else is not found, like an unknown version.
 */
export async function assertReleaseInProject(viewer: Viewer, projectId: number, version: string): Promise<void> {
  assertCan(viewer.role, "releases:read");
  if (!isPossibleVersion(version)) throw new AppError("not_found", "no such release");
  const found = await db().releaseProject.findFirst({
    where: { projectId, project: { orgId: viewer.orgId }, release: { orgId: viewer.orgId, version } },
    select: { releaseId: true },
  });
  if (!found) throw new AppError("not_found", "no such release");
}
