import type { Viewer } from "../auth/viewer";
import type { Tx } from "../db";
import { AppError } from "../errors";

// Finding a monitor of the viewer's org by the slug in a URL. A slug is unique per project,
// not per org, so the same slug in two projects needs `?project=` to say which one is meant.

/** A project named in a query string, by numeric id or slug. */
export type ProjectRef = string | number;

const MAX_INT = 2_147_483_647;

/** Whether `text` could be a stored monitor slug at all (else simply not found). */
const isPossibleMonitorSlug = (text: string) => text.length >= 1 && text.length <= 50 && !text.includes("\0");

/** The id of the viewer's org's project that `ref` names (id or slug); not found otherwise. */
export async function projectOfViewer(tx: Tx, viewer: Viewer, ref: ProjectRef): Promise<{ id: number; slug: string }> {
  const text = String(ref);
  const id = /^\d{1,10}$/.test(text) && Number(text) <= MAX_INT ? Number(text) : undefined;
  if (text.length > 100 || text.includes("\0")) throw new AppError("not_found", "no such project");
  const project = await tx.project.findFirst({
    where: { orgId: viewer.orgId, OR: [{ slug: text }, ...(id === undefined ? [] : [{ id }])] },
    select: { id: true, slug: true },
  });
  if (!project) throw new AppError("not_found", "no such project");
  return project;
}

/**
 * The monitor of the viewer's org with this slug, in the project `project` names when given.
 * No such monitor (or another org's) is not found; the slug in several of the org's projects
 * without `project` is a 400 that says how to choose.
 */
export async function monitorOfViewer(
  tx: Tx,
  viewer: Viewer,
  slug: string,
  project?: ProjectRef,
): Promise<{ id: number; projectId: number }> {
  if (!isPossibleMonitorSlug(slug)) throw new AppError("not_found", "no such monitor");
  const projectId = project === undefined ? undefined : (await projectOfViewer(tx, viewer, project)).id;
  const found = await tx.monitor.findMany({
    where: { orgId: viewer.orgId, slug, ...(projectId === undefined ? {} : { projectId }) },
    select: { id: true, projectId: true, project: { select: { slug: true } } },
    orderBy: { id: "asc" },
    take: 10,
  });
  if (found.length === 0) throw new AppError("not_found", "no such monitor");
  if (found.length > 1) {
    const projects = found.map((m) => m.project.slug).join(", ");
    throw new AppError(
      "bad_request",
      `The monitor slug "${slug}" exists in several projects (${projects}); name one with ?project=<id or slug>`,
    );
  }
  return { id: found[0]!.id, projectId: found[0]!.projectId };
}
