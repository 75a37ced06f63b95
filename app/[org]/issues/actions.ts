"use server";

import { revalidatePath } from "next/cache";
import { AppError } from "@/lib/errors";
import { addComment } from "@/lib/issues/comments";
import { type IssueUpdate, updateIssues } from "@/lib/issues/update";
import { requireViewer } from "../../(auth)/session";
import { type ActionState, formAction } from "../../_server/action-state";

// The issue ids come from the form, and lib/issues/update.ts finds them only within the
// viewer's org (all or nothing, 404 otherwise), as the REST API's PUT does.

const HOUR_MS = 3_600_000;

/** The dashboard's status buttons as the API's update. */
function updateFor(operation: string, assignee: string, userEmail: string): IssueUpdate {
  switch (operation) {
    case "resolve":
      return { status: { status: "resolved" } };
    case "resolve-next-release":
      // Sentry's "resolve in next release": events of the project's current release or older
      // ones do not reopen it, a later release's do (lib/issues/update.ts records which).
      return { status: { status: "resolved", inNextRelease: true } };
    case "unresolve":
      return { status: { status: "unresolved" } };
    case "ignore":
      return { status: { status: "ignored" } };
    case "ignore-24h":
      return { status: { status: "ignored", until: new Date(Date.now() + 24 * HOUR_MS) } };
    case "ignore-100":
      return { status: { status: "ignored", count: 100 } };
    case "assign-me":
      return { assignedTo: userEmail };
    case "assign":
      return { assignedTo: assignee === "" ? null : assignee };
    default:
      throw new AppError("bad_request", `unknown operation ${operation}`);
  }
}

export async function updateIssuesAction(org: string, _previous: ActionState, form: FormData): Promise<ActionState> {
  return formAction(async () => {
    const viewer = await requireViewer(org);
    const ids = form.getAll("issue").map(Number).filter(Number.isInteger);
    if (ids.length === 0) return { error: "Select issues first." };
    const operation = String(form.get("operation") ?? "");
    await updateIssues(viewer, ids, updateFor(operation, String(form.get("assignee") ?? ""), viewer.email));
    revalidatePath(`/${org}/issues`, "layout");
    return { message: ids.length === 1 ? "Updated." : `Updated ${ids.length} issues.` };
  });
}

export async function commentAction(org: string, issueId: number, _previous: ActionState, form: FormData): Promise<ActionState> {
  return formAction(async () => {
    await addComment(await requireViewer(org), issueId, String(form.get("text") ?? ""));
    revalidatePath(`/${org}/issues/${issueId}`);
    return { message: "Comment added." };
  });
}
