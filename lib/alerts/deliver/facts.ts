import { asideSqlRows } from "../../db";
import { env } from "../../env";
import { type AlertFacts, sampleEvent, sampleIssue } from "./payloads";

export type LoadedFacts = { facts: AlertFacts; orgId: number; assigneeId: number | null };

type Row = {
  project_id: number;
  project_slug: string;
  project_name: string;
  org_id: number;
  org_slug: string;
  org_name: string;
  issue_id: number | null;
  short_id: number | null;
  title: string;
  culprit: string;
  level: string;
  platform: string;
  status: string;
  times_seen: number;
  user_count: number;
  first_seen: Date;
  last_seen: Date;
  assignee_id: number | null;
  event_id: string | null;
  payload: unknown;
  tags: unknown;
  environment: string | null;
  release: string | null;
};

/**
 * The facts a notification tells, read for one project in one statement: its org, the issue and
 * the stored event (found by project and event id, so a row can only ever show its own
 * project's data). Plain SQL, not Prisma: every delivery job runs this, and in a burst of new
 * issues the worker runs hundreds of them while it drains events.
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
  const [row] = await asideSqlRows<Row>`
    select p.id as project_id, p.slug as project_slug, p.name as project_name,
           o.id as org_id, o.slug as org_slug, o.name as org_name,
           i.id as issue_id, i.short_id, i.title, i.culprit, i.level, i.platform, i.status, i.times_seen, i.user_count,
           i.first_seen, i.last_seen, i.assignee_id,
           e.event_id, e.payload, e.tags, e.environment, e.release
    from projects p
    join organizations o on o.id = p.org_id
    left join issues i on i.id = ${input.issueId}::int and i.project_id = p.id
    left join events e on e.project_id = p.id and e.event_id = ${input.eventId}::text and e.issue_id = i.id
    where p.id = ${input.projectId}::int`;
  if (!row) return null;
  if (input.issueId !== null && row.issue_id === null) return null;
  const issue =
    row.issue_id === null
      ? sampleIssue()
      : {
          id: row.issue_id,
          shortId: `${row.project_slug.toUpperCase()}-${row.short_id}`,
          title: row.title,
          culprit: row.culprit,
          level: row.level,
          platform: row.platform,
          status: row.status,
          timesSeen: row.times_seen,
          userCount: row.user_count,
          firstSeen: row.first_seen,
          lastSeen: row.last_seen,
        };
  const event =
    row.issue_id === null
      ? sampleEvent()
      : row.event_id === null
        ? null
        : {
            eventId: row.event_id,
            payload: isObject(row.payload) ? row.payload : {},
            tags: Array.isArray(row.tags) ? (row.tags as [string, string][]) : [],
            environment: row.environment,
            release: row.release,
          };
  const facts: AlertFacts = {
    appUrl: env().APP_URL.replace(/\/+$/, ""),
    org: { slug: row.org_slug, name: row.org_name },
    project: { id: row.project_id, slug: row.project_slug, name: row.project_name },
    rule: input.rule,
    issue,
    event,
    test: input.test,
  };
  return { facts, orgId: row.org_id, assigneeId: row.assignee_id };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
