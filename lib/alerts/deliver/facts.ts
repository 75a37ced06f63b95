import { db } from "../../db";
import { env } from "../../env";
import { type AlertFacts, sampleEvent, sampleIssue } from "./payloads";

export type LoadedFacts = { facts: AlertFacts; orgId: number; assigneeId: number | null };

/**
 * The facts a notification tells, read for one project: its org, the issue and the stored
 * event (found by project and event id, so a row can only ever show its own project's data).
 * Without an issue (a test notification of a project that has none) a sample issue and event
 * stand in; a missing event (pruned by retention) leaves the event out.
 */
export async function unsafeLoadAlertFacts(input: {
  projectId: number;
  rule: { id: number; name: string };
  issueId: number | null;
  eventId: string | null;
  test: boolean;
}): Promise<LoadedFacts | null> {
  const project = await db().project.findUnique({
    where: { id: input.projectId },
    select: { id: true, slug: true, name: true, orgId: true, org: { select: { slug: true, name: true } } },
  });
  if (!project) return null;
  const issue =
    input.issueId === null
      ? null
      : await db().issue.findFirst({
          where: { id: input.issueId, projectId: project.id },
          select: {
            id: true,
            shortId: true,
            title: true,
            culprit: true,
            level: true,
            platform: true,
            status: true,
            timesSeen: true,
            userCount: true,
            firstSeen: true,
            lastSeen: true,
            assigneeId: true,
          },
        });
  if (input.issueId !== null && !issue) return null;
  const event =
    issue && input.eventId
      ? await db().event.findFirst({
          where: { projectId: project.id, eventId: input.eventId },
          select: { eventId: true, payload: true, tags: true, environment: true, release: true },
        })
      : null;
  const facts: AlertFacts = {
    appUrl: env().APP_URL.replace(/\/+$/, ""),
    org: project.org,
    project: { id: project.id, slug: project.slug, name: project.name },
    rule: input.rule,
    issue: issue ? { ...issue, shortId: `${project.slug.toUpperCase()}-${issue.shortId}` } : sampleIssue(),
    event: !issue
      ? sampleEvent()
      : event
        ? {
            eventId: event.eventId,
            payload: isObject(event.payload) ? event.payload : {},
            tags: Array.isArray(event.tags) ? (event.tags as [string, string][]) : [],
            environment: event.environment,
            release: event.release,
          }
        : null,
    test: input.test,
  };
  return { facts, orgId: project.orgId, assigneeId: issue?.assigneeId ?? null };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
