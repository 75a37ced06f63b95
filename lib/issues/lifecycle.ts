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
