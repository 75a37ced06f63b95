import { z } from "zod";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import { eventIssue } from "./events";

export const commentSchema = z.string().trim().min(1, "write something").max(5000);

/** A comment on an issue of the viewer's org: an activity entry of type "note", as Sentry has it. */
export async function addComment(viewer: Viewer, issueId: number, text: string) {
  assertCan(viewer.role, "issues:update");
  const body = commentSchema.parse(text);
  const issue = await eventIssue(viewer, issueId);
  return db().issueActivity.create({
    data: { issueId: issue.id, type: "note", userId: viewer.userId, data: { text: body } },
    select: { id: true },
  });
}
