import { z } from "zod";
import { audit } from "../audit";
import { assertCan, can } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db, type Tx } from "../db";
import { AppError } from "../errors";
import { Prisma } from "../generated/prisma/client.ts";
import type { IssueStatus, Role } from "../generated/prisma/enums.ts";
import { type Resolution, type StatusChange, transitionOnRequest } from "./lifecycle";

const dateString = z
  .string()
  .refine((text) => !Number.isNaN(Date.parse(text)), "must be an ISO 8601 date")
  .transform((text) => new Date(text));

/** Sentry's issue update body (the fields we act on; others, like hasSeen, are ignored). */
export const issueUpdateSchema = z.object({
  status: z.enum(["resolved", "unresolved", "ignored", "resolvedInNextRelease"]).optional(),
  statusDetails: z
    .object({
      ignoreUntil: dateString.optional(),
      ignoreDuration: z.number().int().positive().max(525_600).optional(),
      ignoreCount: z.number().int().positive().max(1_000_000_000).optional(),
      ignoreWindow: z.number().optional(),
      ignoreUserCount: z.number().optional(),
      ignoreUserWindow: z.number().optional(),
      ignoreUntilEscalating: z.boolean().optional(),
      // resolved in the project's latest release: its events, or older ones, do not reopen it
      inNextRelease: z.boolean().optional(),
      // resolved in this version ("latest": the project's latest release)
      inRelease: z.string().min(1).max(200).optional(),
      inCommit: z.unknown().optional(),
    })
    .optional(),
  assignedTo: z.string().max(320).nullable().optional(),
});

export type IssueUpdate = { status?: StatusChange; assignedTo?: string | null };
export type Assignee = { id: number; name: string; email: string };

/** Checks and interprets an update body; 400 with what is wrong. */
export function parseIssueUpdate(body: unknown, now: Date): IssueUpdate {
  const input = issueUpdateSchema.parse(body);
  const details = input.statusDetails ?? {};
  if (details.ignoreWindow !== undefined || details.ignoreUserCount !== undefined || details.ignoreUserWindow !== undefined) {
    throw new AppError("bad_request", "ignoreWindow, ignoreUserCount and ignoreUserWindow are not supported");
  }
  const ignoring =
    details.ignoreUntil !== undefined ||
    details.ignoreDuration !== undefined ||
    details.ignoreCount !== undefined ||
    details.ignoreUntilEscalating !== undefined;
  if (ignoring && input.status !== "ignored") throw new AppError("bad_request", 'ignore details need "status": "ignored"');
  if (details.inCommit !== undefined) throw new AppError("bad_request", "inCommit is not supported: resolve in a release instead");
  const inNextRelease = input.status === "resolvedInNextRelease" || details.inNextRelease === true;
  const inRelease = details.inRelease;
  if ((inNextRelease || inRelease !== undefined) && input.status !== undefined && input.status !== "resolved" && input.status !== "resolvedInNextRelease") {
    throw new AppError("bad_request", 'inNextRelease and inRelease need "status": "resolved"');
  }
  if (inNextRelease && inRelease !== undefined) throw new AppError("bad_request", "give inNextRelease or inRelease, not both");
  if (details.ignoreUntil !== undefined && details.ignoreDuration !== undefined) {
    throw new AppError("bad_request", "give ignoreUntil or ignoreDuration, not both");
  }
  const update: IssueUpdate = {};
  if (input.status === "ignored") {
    const until =
      details.ignoreUntil ??
      (details.ignoreDuration === undefined ? undefined : new Date(now.getTime() + details.ignoreDuration * 60_000));
    if (until && until <= now) throw new AppError("bad_request", "ignoreUntil must be in the future");
    update.status = { status: "ignored", until, count: details.ignoreCount, untilEscalating: details.ignoreUntilEscalating };
  } else if (inNextRelease) {
    update.status = { status: "resolved", inNextRelease: true };
  } else if (inRelease !== undefined) {
    update.status = { status: "resolved", inRelease };
  } else if (input.status) {
    update.status = { status: input.status === "unresolved" ? "unresolved" : "resolved" };
  }
  if (input.assignedTo !== undefined) update.assignedTo = input.assignedTo;
  if (!update.status && update.assignedTo === undefined) {
    throw new AppError("bad_request", "Nothing to update: give status or assignedTo");
  }
  return update;
}

type LockedIssue = {
  id: number;
  project_id: number;
  resolved_in_release_id: number | null;
  resolved_in_next_release: boolean;
  status: IssueStatus;
  substatus: string | null;
  ignore_until: Date | null;
  ignore_until_count: number | null;
  times_seen: number;
  assignee_id: number | null;
};

/**
 * Applies one update to issues of the viewer's org, all or nothing: an id that is unknown or
 * another org's makes it a 404 that changes nothing. Each actual change records an activity
 * (set_resolved, set_unresolved, set_ignored, assigned, unassigned) by the viewer. The rows are
 * locked, so a drain batch updating the same issues waits (or is waited for). `projectIds`
 * narrows the issues a project's endpoint may touch.
 */
export async function updateIssues(
  viewer: Viewer,
  ids: number[],
  update: IssueUpdate,
  options: { projectIds?: number[]; now?: Date } = {},
): Promise<{ assignee?: Assignee | null }> {
  const now = options.now ?? new Date();
  // A project's endpoint edits only that project's issues: another project's id is not found.
  const inProjects = options.projectIds
    ? Prisma.sql`and i.project_id = any(${options.projectIds}::int[])`
    : Prisma.empty;
  assertCan(viewer.role, "issues:update");
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw new AppError("bad_request", "No issues to update");
  return db().$transaction(
    async (tx) => {
      const issues = await tx.$queryRaw<LockedIssue[]>`
        select i.id, i.project_id, i.resolved_in_release_id, i.resolved_in_next_release,
               i.status, i.substatus, i.ignore_until, i.ignore_until_count, i.times_seen, i.assignee_id
        from issues i join projects p on p.id = i.project_id
        where p.org_id = ${viewer.orgId} and i.id = any(${unique}::int[]) ${inProjects}
        order by i.id
        for update of i`;
      if (issues.length !== unique.length) throw new AppError("not_found", "no such issue");
      const activities: { issueId: number; type: string; userId: number; data: object }[] = [];
      if (update.status) await applyStatus(tx, viewer.orgId, issues, update.status, now, viewer.userId, activities);
      let assignee: Assignee | null | undefined;
      if (update.assignedTo !== undefined) {
        assignee = await resolveAssignee(tx, viewer.orgId, update.assignedTo);
        const changed = issues.filter((i) => i.assignee_id !== (assignee?.id ?? null)).map((i) => i.id);
        if (changed.length > 0) {
          await tx.issue.updateMany({ where: { id: { in: changed } }, data: { assigneeId: assignee?.id ?? null } });
          const activity = assignee
            ? { type: "assigned", data: { assignee: String(assignee.id), assigneeEmail: assignee.email, assigneeType: "user" } }
            : { type: "unassigned", data: {} };
          for (const issueId of changed) activities.push({ issueId, userId: viewer.userId, ...activity });
        }
      }
      if (activities.length > 0) await tx.issueActivity.createMany({ data: activities });
      return assignee === undefined ? {} : { assignee };
    },
    { timeout: 30_000 },
  );
}

// Sentry's words for these refusals.
export const NO_RELEASE_FOR_NEXT = "No release data present in the system to form a basis for 'Next Release'";
export const UNKNOWN_RESOLUTION_RELEASE = "Unable to find a release with the given version.";

/**
 * The release each project's issues are resolved in: for the next release (or "latest"), the
 * project's most recently created release; else the version named, a release of the org.
 */
async function resolutionsByProject(
  tx: Tx,
  orgId: number,
  projectIds: number[],
  change: Extract<StatusChange, { status: "resolved" }>,
): Promise<Map<number, Resolution> | null> {
  if (!change.inNextRelease && change.inRelease === undefined) return null;
  const byProject = new Map<number, Resolution>();
  if (change.inNextRelease || change.inRelease === "latest") {
    const rows = await tx.$queryRaw<{ project_id: number; id: number; version: string }[]>`
      select distinct on (rp.project_id) rp.project_id, r.id, r.version
      from release_projects rp join releases r on r.id = rp.release_id and r.org_id = ${orgId}
      where rp.project_id = any(${projectIds}::int[])
      order by rp.project_id, r.created_at desc, r.id desc`;
    for (const r of rows) byProject.set(r.project_id, { releaseId: r.id, version: r.version, next: change.inNextRelease === true });
    if (byProject.size < projectIds.length) throw new AppError("bad_request", NO_RELEASE_FOR_NEXT);
    return byProject;
  }
  const release = await tx.release.findUnique({
    where: { orgId_version: { orgId, version: change.inRelease! } },
    select: { id: true, version: true },
  });
  if (!release) throw new AppError("bad_request", UNKNOWN_RESOLUTION_RELEASE);
  for (const projectId of projectIds) byProject.set(projectId, { releaseId: release.id, version: release.version, next: false });
  return byProject;
}

async function applyStatus(
  tx: Tx,
  orgId: number,
  issues: LockedIssue[],
  change: StatusChange,
  now: Date,
  userId: number,
  activities: { issueId: number; type: string; userId: number; data: object }[],
): Promise<void> {
  const resolutions =
    change.status === "resolved"
      ? await resolutionsByProject(tx, orgId, [...new Set(issues.map((i) => i.project_id))], change)
      : null;
  const rows = issues.flatMap((issue) => {
    const transition = transitionOnRequest(
      {
        status: issue.status,
        substatus: issue.substatus,
        ignoreUntil: issue.ignore_until,
        ignoreUntilCount: issue.ignore_until_count,
        timesSeen: issue.times_seen,
        resolvedInReleaseId: issue.resolved_in_release_id,
        resolvedInNextRelease: issue.resolved_in_next_release,
      },
      change,
      now,
      resolutions?.get(issue.project_id) ?? null,
    );
    return transition ? [{ id: issue.id, ...transition }] : [];
  });
  if (rows.length === 0) return;
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  // One statement for every issue: a bulk update by query may touch a thousand.
  await tx.$executeRaw`
    update issues i set status = u.status::"IssueStatus", substatus = u.substatus, resolved_at = u.resolved_at,
      ignore_until = u.ignore_until, ignore_until_count = u.ignore_until_count,
      resolved_in_release_id = u.release_id, resolved_in_next_release = u.next_release, updated_at = now()
    from unnest(${rows.map((r) => r.id)}::int[], ${rows.map((r) => r.fields.status)}::text[],
                ${rows.map((r) => r.fields.substatus)}::text[], ${rows.map((r) => iso(r.fields.resolvedAt))}::timestamptz[],
                ${rows.map((r) => iso(r.fields.ignoreUntil))}::timestamptz[], ${rows.map((r) => r.fields.ignoreUntilCount)}::int[],
                ${rows.map((r) => r.fields.resolvedInReleaseId)}::int[], ${rows.map((r) => r.fields.resolvedInNextRelease)}::boolean[])
      as u(id, status, substatus, resolved_at, ignore_until, ignore_until_count, release_id, next_release)
    where i.id = u.id`;
  for (const row of rows) activities.push({ issueId: row.id, userId, ...row.activity });
}

/**
 * Sentry's `assignedTo`: "user:ID", an id, or an email (our users have no usernames); "" or
 * null unassigns. The assignee must be a member of the org who may see issues.
 */
async function resolveAssignee(tx: Tx, orgId: number, actor: string | null): Promise<Assignee | null> {
  const text = actor?.trim() ?? "";
  if (text === "") return null;
  if (text.startsWith("team:") || text.startsWith("#")) throw new AppError("bad_request", "Assigning to teams is not supported");
  const idText = /^(?:user:)?(\d{1,9})$/.exec(text)?.[1];
  const membership = await tx.membership.findFirst({
    where: {
      orgId,
      user: idText ? { id: Number(idText) } : { email: { equals: text, mode: "insensitive" } },
    },
    select: { role: true, user: { select: { id: true, name: true, email: true } } },
  });
  if (!membership || !can(membership.role as Role, "issues:read")) {
    throw new AppError("bad_request", `Unknown assignee "${text}": not a member of this organization`);
  }
  return membership.user;
}

/** Deletes an issue of the viewer's org with its events, hashes and counters (cascade). */
export async function deleteIssue(viewer: Viewer, id: number): Promise<void> {
  assertCan(viewer.role, "issues:update");
  await db().$transaction(
    async (tx) => {
      const { count } = await tx.issue.deleteMany({ where: { id, project: { orgId: viewer.orgId } } });
      if (count === 0) throw new AppError("not_found", "no such issue");
      await audit(viewer, { action: "issue.delete", targetType: "issue", targetId: id }, tx);
    },
    { timeout: 60_000 },
  );
}
