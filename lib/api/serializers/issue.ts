import { env } from "../../env";
import { issueKind } from "../../issues/kind";
import type { Assignee } from "../../issues/update";
import type { IssueView, issueDetail } from "../../issues/views";

type Org = { slug: string };

/** Sentry's issue (group) shape, as the issue stream and details endpoints answer it. */
export function serializeIssue(issue: IssueView, org: Org) {
  return {
    id: String(issue.id),
    shortId: `${issue.project.slug.toUpperCase()}-${issue.shortId}`,
    title: issue.title,
    culprit: issue.culprit,
    permalink: `${env().APP_URL.replace(/\/+$/, "")}/${org.slug}/issues/${issue.id}/`,
    logger: null,
    level: issue.level,
    status: issue.status,
    statusDetails: statusDetails(issue),
    substatus: issue.substatus,
    isPublic: false,
    platform: issue.platform,
    project: {
      id: String(issue.project.id),
      name: issue.project.name,
      slug: issue.project.slug,
      platform: issue.project.platform,
    },
    type: issue.type,
    issueType: issueKind(issue.type).issueType,
    issueCategory: issueKind(issue.type).issueCategory,
    metadata: issue.metadata,
    numComments: 0,
    assignedTo: serializeAssignee(issue.assignee),
    isBookmarked: false,
    isSubscribed: false,
    hasSeen: false,
    annotations: [],
    isUnhandled: issue.isUnhandled,
    count: String(issue.timesSeen),
    userCount: issue.userCount,
    firstSeen: issue.firstSeen.toISOString(),
    lastSeen: issue.lastSeen.toISOString(),
    stats: issue.stats,
  };
}

/** The issue details endpoint adds activity and releases to the stream shape. */
export function serializeIssueDetail(issue: Awaited<ReturnType<typeof issueDetail>>, org: Org) {
  return {
    ...serializeIssue(issue, org),
    firstRelease: issue.firstRelease ? { version: issue.firstRelease, shortVersion: issue.firstRelease } : null,
    lastRelease: issue.lastRelease ? { version: issue.lastRelease, shortVersion: issue.lastRelease } : null,
    activity: issue.activity.map((a) => ({
      id: String(a.id),
      type: a.type,
      user: a.user ? { id: String(a.user.id), name: a.user.name || a.user.email, email: a.user.email } : null,
      data: a.data,
      dateCreated: a.createdAt.toISOString(),
    })),
    seenBy: [],
    participants: [],
    userReportCount: 0,
  };
}

export function serializeAssignee(assignee: Assignee | null) {
  return assignee
    ? { type: "user", id: String(assignee.id), name: assignee.name || assignee.email, email: assignee.email }
    : null;
}

type StatusSource = Pick<
  IssueView,
  "status" | "substatus" | "ignoreUntil" | "ignoreUntilCount" | "timesSeen" | "resolvedInNextRelease" | "resolvedInRelease"
>;

/**
 * Sentry's statusDetails: for an issue resolved in the next release `{inNextRelease: true}`,
 * in a release `{inRelease: version}`; for an ignored issue, until when and for how many more
 * events (counted from now: the stored threshold minus the events seen since).
 */
export function statusDetails(issue: StatusSource): Record<string, unknown> {
  if (issue.status === "resolved") {
    if (issue.resolvedInNextRelease) return { inNextRelease: true };
    if (issue.resolvedInRelease) return { inRelease: issue.resolvedInRelease.version };
    return {};
  }
  if (issue.status !== "ignored") return {};
  const details: Record<string, unknown> = {};
  if (issue.ignoreUntil) details.ignoreUntil = issue.ignoreUntil.toISOString();
  if (issue.ignoreUntilCount !== null) details.ignoreCount = Math.max(issue.ignoreUntilCount - issue.timesSeen, 0);
  if (issue.substatus === "archived_until_escalating") details.ignoreUntilEscalating = true;
  return details;
}
