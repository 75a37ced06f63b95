import type { IssueStatus } from "../generated/prisma/enums.ts";

/** What the lifecycle needs to know of an issue when new events arrive. */
export type IssueState = {
  status: IssueStatus;
  substatus: string | null;
  ignoreUntil: Date | null;
  ignoreUntilCount: number | null;
  timesSeen: number;
  /** resolved in a release (or in the next one: this is the project's latest at the time) */
  resolvedInReleaseId: number | null;
  resolvedInNextRelease: boolean;
};

/** Where a release stands in its org's creation order. */
export type ReleaseOrder = { id: number; createdAt: Date };

/**
 * Whether an event reopens an issue resolved in `resolvedIn`, by Sentry's rule: an event of
 * that release or of one created before it does not (the fix is not deployed there); one of a
 * release created after it, or with no release at all, does. `eventRelease` undefined: the
 * event names a release that did not exist yet, so it is newer. "Newer" is creation order
 * (then id), not version order: versions need not be semver.
 */
export function reopensResolution(resolvedIn: ReleaseOrder, eventRelease: ReleaseOrder | null | undefined): boolean {
  if (eventRelease === null || eventRelease === undefined) return true;
  const a = eventRelease.createdAt.getTime();
  const b = resolvedIn.createdAt.getTime();
  return a > b || (a === b && eventRelease.id > resolvedIn.id);
}

export type Transition = {
  status: IssueStatus;
  substatus: string;
  activity: { type: string; data: Record<string, unknown> };
};

/**
 * How new events change an issue's status: a resolved issue reopens as a regression when one
 * of them may (`reopening`: all of them, unless it was resolved in a release, see
 * reopensResolution); an ignored one wakes up when its date has passed or its event budget is
 * spent; an issue ignored forever stays ignored. Null when the status does not change.
 */
export function transitionOnNewEvents(issue: IssueState, newEvents: number, now: Date, reopening = newEvents): Transition | null {
  if (issue.status === "resolved") {
    if (reopening === 0) return null;
    return { status: "unresolved", substatus: "regressed", activity: { type: "set_regression", data: {} } };
  }
  if (issue.status !== "ignored") return null;
  if (issue.ignoreUntil && issue.ignoreUntil <= now) {
    return {
      status: "unresolved",
      substatus: "ongoing",
      activity: { type: "set_unresolved", data: { reason: "ignore_until_passed", until: issue.ignoreUntil.toISOString() } },
    };
  }
  if (issue.ignoreUntilCount !== null && issue.timesSeen + newEvents >= issue.ignoreUntilCount) {
    return {
      status: "unresolved",
      substatus: "escalating",
      activity: { type: "set_escalating", data: { reason: "ignore_count_reached", count: issue.ignoreUntilCount } },
    };
  }
  return null;
}

/** A status a person (or an API client) asks for. */
export type StatusChange =
  // inNextRelease: resolved in the project's latest release; inRelease: in that version of the org
  | { status: "resolved"; inNextRelease?: boolean; inRelease?: string }
  | { status: "unresolved" }
  | { status: "ignored"; until?: Date; count?: number; untilEscalating?: boolean };

/** The issue columns a status change writes. */
export type StatusFields = {
  status: IssueStatus;
  substatus: string | null;
  resolvedAt: Date | null;
  ignoreUntil: Date | null;
  ignoreUntilCount: number | null;
  resolvedInReleaseId: number | null;
  resolvedInNextRelease: boolean;
};

/** The release a resolution names, found for the issue's project (see lib/issues/update.ts). */
export type Resolution = { releaseId: number; version: string; next: boolean };

/**
 * What a requested status does to an issue: the new columns and the activity to record, or
 * null when the issue is already so. Ignoring "for N more events" stores the timesSeen at
 * which it wakes (transitionOnNewEvents reads it that way); Sentry's substatus says why it
 * is ignored. A resolution in a release (`resolution`, for a resolved change that names one)
 * is recorded as Sentry's set_resolved_in_release; any other change clears it.
 */
export function transitionOnRequest(
  issue: IssueState,
  change: StatusChange,
  now: Date,
  resolution: Resolution | null = null,
): { fields: StatusFields; activity: { type: string; data: Record<string, unknown> } } | null {
  const cleared = { resolvedAt: null, ignoreUntil: null, ignoreUntilCount: null, resolvedInReleaseId: null, resolvedInNextRelease: false };
  switch (change.status) {
    case "resolved": {
      const releaseId = resolution?.releaseId ?? null;
      const next = resolution?.next ?? false;
      if (issue.status === "resolved" && issue.resolvedInReleaseId === releaseId && issue.resolvedInNextRelease === next) return null;
      const fields: StatusFields = {
        ...cleared,
        status: "resolved",
        substatus: null,
        resolvedAt: now,
        resolvedInReleaseId: releaseId,
        resolvedInNextRelease: next,
      };
      if (!resolution) return { fields, activity: { type: "set_resolved", data: {} } };
      return {
        fields,
        activity: {
          type: "set_resolved_in_release",
          data: next ? { version: resolution.version, inNextRelease: true } : { version: resolution.version },
        },
      };
    }
    case "unresolved":
      if (issue.status === "unresolved") return null;
      return {
        fields: { ...cleared, status: "unresolved", substatus: "ongoing" },
        activity: { type: "set_unresolved", data: {} },
      };
    case "ignored": {
      const ignoreUntil = change.until ?? null;
      const ignoreUntilCount = change.count === undefined ? null : issue.timesSeen + change.count;
      const substatus =
        ignoreUntil || ignoreUntilCount !== null
          ? "archived_until_condition_met"
          : change.untilEscalating
            ? "archived_until_escalating"
            : "archived_forever";
      const same =
        issue.status === "ignored" &&
        issue.substatus === substatus &&
        issue.ignoreUntil?.getTime() === ignoreUntil?.getTime() &&
        issue.ignoreUntilCount === ignoreUntilCount;
      if (same) return null;
      const data: Record<string, unknown> = {};
      if (ignoreUntil) data.ignoreUntil = ignoreUntil.toISOString();
      if (change.count !== undefined) data.ignoreCount = change.count;
      if (change.untilEscalating) data.ignoreUntilEscalating = true;
      return {
        fields: { ...cleared, status: "ignored", substatus, ignoreUntil, ignoreUntilCount },
        activity: { type: "set_ignored", data },
      };
    }
  }
}
