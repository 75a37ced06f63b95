import { describe, expect, it } from "vitest";
import { type IssueState, reopensResolution, transitionOnNewEvents, transitionOnRequest } from "./lifecycle";

const resolvedIssue: IssueState = {
  status: "resolved",
  substatus: null,
  ignoreUntil: null,
  ignoreUntilCount: null,
  timesSeen: 3,
  resolvedInReleaseId: 2,
  resolvedInNextRelease: true,
};
const now = new Date("2026-12-04T12:00:00Z");
const release = (id: number, at: string) => ({ id, createdAt: new Date(at) });

describe("reopensResolution", () => {
  const resolvedIn = release(2, "2026-12-01T00:00:00Z");
  it("keeps the issue resolved for the release itself and older ones", () => {
    expect(reopensResolution(resolvedIn, resolvedIn)).toBe(false);
    expect(reopensResolution(resolvedIn, release(1, "2026-11-01T00:00:00Z"))).toBe(false);
    // created in the same millisecond, but before it
    expect(reopensResolution(resolvedIn, release(1, "2026-12-01T00:00:00Z"))).toBe(false);
  });
  it("reopens it for a newer release, a release not stored yet, or no release", () => {
    expect(reopensResolution(resolvedIn, release(3, "2026-12-02T00:00:00Z"))).toBe(true);
    expect(reopensResolution(resolvedIn, release(3, "2026-12-01T00:00:00Z"))).toBe(true);
    expect(reopensResolution(resolvedIn, undefined)).toBe(true);
    expect(reopensResolution(resolvedIn, null)).toBe(true);
  });
});

describe("transitions with a resolution release", () => {
  it("regresses only when some event may reopen the issue", () => {
    expect(transitionOnNewEvents(resolvedIssue, 5, now, 0)).toBeNull();
    expect(transitionOnNewEvents(resolvedIssue, 5, now, 1)).toMatchObject({ status: "unresolved", substatus: "regressed" });
    // without a count, every event may reopen it (a plain resolution)
    expect(transitionOnNewEvents({ ...resolvedIssue, resolvedInReleaseId: null }, 1, now)).toMatchObject({ substatus: "regressed" });
  });

  it("records the release of a resolution, and sees a different one as a change", () => {
    const change = { status: "resolved" as const, inNextRelease: true };
    expect(transitionOnRequest(resolvedIssue, change, now, { releaseId: 2, version: "v2", next: true })).toBeNull();
    const other = transitionOnRequest(resolvedIssue, { status: "resolved", inRelease: "v3" }, now, {
      releaseId: 3,
      version: "v3",
      next: false,
    });
    expect(other).toMatchObject({
      fields: { status: "resolved", resolvedInReleaseId: 3, resolvedInNextRelease: false },
      activity: { type: "set_resolved_in_release", data: { version: "v3" } },
    });
    // a plain resolve of an issue resolved in a release clears the release
    expect(transitionOnRequest(resolvedIssue, { status: "resolved" }, now)).toMatchObject({
      fields: { resolvedInReleaseId: null, resolvedInNextRelease: false },
      activity: { type: "set_resolved" },
    });
    expect(transitionOnRequest(resolvedIssue, { status: "unresolved" }, now)?.fields).toMatchObject({ resolvedInReleaseId: null });
  });
});
