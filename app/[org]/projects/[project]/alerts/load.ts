import "server-only";
import { notFound } from "next/navigation";
import { AppError } from "@/lib/errors";
import { projectBySlug } from "@/lib/projects/manage";
import { requireViewer } from "../../../../(auth)/session";

/** The viewer and the URL's project for an alerts page; a foreign or missing one is a 404. */
export async function alertsContext(org: string, slug: string) {
  const viewer = await requireViewer(org);
  const project = await projectBySlug(viewer, slug).catch(notFoundOnAppError);
  return { viewer, project };
}

export function notFoundOnAppError(error: unknown): never {
  if (error instanceof AppError && (error.code === "not_found" || error.code === "forbidden")) notFound();
  throw error;
}

export const STATUS_CLASS: Record<string, string> = {
  sent: "text-green-700",
  pending: "text-slate-600",
  retrying: "text-amber-700",
  failed: "text-red-700",
};

/** A member as the rule form's "Member" email target lists them. */
export function memberOption(m: { user: { id: number; email: string; name: string } }) {
  return { id: m.user.id, label: m.user.name ? `${m.user.name} <${m.user.email}>` : m.user.email };
}
