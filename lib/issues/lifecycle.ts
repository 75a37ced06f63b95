import type { IssueStatus } from "../generated/prisma/enums.ts";

/** What the lifecycle needs to know of an issue when new events arrive. */
export type IssueState = {
  status: IssueStatus;
  substatus: string | null;
  ignoreUntil: Date | null;
  ignoreUntilCount: number | null;
  timesSeen: number;
};

export type Transition = {
  status: IssueStatus;
  substatus: string;
  activity: { type: string; data: Record<string, unknown> };
};

/**
 * How new events change an issue's status: a resolved issue reopens as a regression; an
 * ignored one wakes up when its date has passed or its event budget is spent; an issue
 * ignored forever stays ignored. Null when the status does not change.
 */
export function transitionOnNewEvents(issue: IssueState, newEvents: number, now: Date): Transition | null {
  if (issue.status === "resolved") {
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
  | { status: "resolved" }
  | { status: "unresolved" }
  | { status: "ignored"; until?: Date; count?: number; untilEscalating?: boolean };

/** The issue columns a status change writes. */
export type StatusFields = {
  status: IssueStatus;
  substatus: string | null;
  resolvedAt: Date | null;
  ignoreUntil: Date | null;
  ignoreUntilCount: number | null;
};

/**
 * What a requested status does to an issue: the new columns and the activity to record, or
 * null when the issue is already so. Ignoring "for N more events" stores the timesSeen at
 * which it wakes (transitionOnNewEvents reads it that way); Sentry's substatus says why it
 * is ignored.
 */
export function transitionOnRequest(
  issue: IssueState,
  change: StatusChange,
  now: Date,
): { fields: StatusFields; activity: { type: string; data: Record<string, unknown> } } | null {
  const cleared = { resolvedAt: null, ignoreUntil: null, ignoreUntilCount: null };
  switch (change.status) {
    case "resolved":
      if (issue.status === "resolved") return null;
      return {
        fields: { ...cleared, status: "resolved", substatus: null, resolvedAt: now },
        activity: { type: "set_resolved", data: {} },
      };
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
