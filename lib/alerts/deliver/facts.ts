import { asideSqlRows } from "../../db";
import { env } from "../../env";
import type { Action } from "../catalog";
import { type AlertFacts, feedbackIssue, sampleEvent, sampleIssue } from "./payloads";

export type LoadedFacts = { facts: AlertFacts; orgId: number; assigneeId: number | null };

/** A delivery row with what its rule needs to send it, and the facts it tells (null: its issue is gone). */
export type LoadedDelivery = {
  id: bigint;
  action: Action;
  status: string;
  secret: string | null;
  loaded: LoadedFacts | null;
};

type Row = {
  id: string;
  action: unknown;
  status: string;
  test: boolean;
  wanted_issue_id: number | null;
  rule_id: number;
  rule_name: string;
  secret: string | null;
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
  issue_status: string;
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
  feedback_key: boolean;
  feedback_id: string | null;
  feedback_name: string | null;
  feedback_email: string | null;
  feedback_message: string | null;
  feedback_url: string | null;
  feedback_event_id: string | null;
  feedback_associated_event_id: string | null;
  feedback_created_at: Date | null;
};

/**
 * A delivery and the facts its notification tells, in one statement: the rule, the project and
 * its org, the issue and the stored event (found by project and event id, so a row can only ever
 * show its own project's data). Plain SQL, not Prisma, and one round trip: every delivery job
 * runs this, and in a burst of new issues the worker runs hundreds of them beside the drain.
 * Without an issue (a test notification of a project that has none) a sample issue and event
 * stand in; a missing event (pruned by retention) leaves the event out.
 */
export async function unsafeLoadDelivery(deliveryId: bigint): Promise<LoadedDelivery | null> {
  const [row] = await asideSqlRows<Row>`
    select d.id, d.action, d.status, d.test, d.issue_id as wanted_issue_id, r.id as rule_id, r.name as rule_name, r.secret,
           p.id as project_id, p.slug as project_slug, p.name as project_name,
           o.id as org_id, o.slug as org_slug, o.name as org_name,
           i.id as issue_id, i.short_id, i.title, i.culprit, i.level, i.platform, i.status as issue_status, i.times_seen,
           i.user_count, i.first_seen, i.last_seen, i.assignee_id,
           e.event_id, e.payload, e.tags, e.environment, e.release,
           coalesce(d.event_id like 'feedback:%', false) as feedback_key, fb.id::text as feedback_id, fb.name as feedback_name,
           fb.email as feedback_email, fb.message as feedback_message, fb.url as feedback_url, fb.event_id as feedback_event_id,
           fb.associated_event_id as feedback_associated_event_id, fb.created_at as feedback_created_at
    from alert_deliveries d
    join alert_rules r on r.id = d.rule_id
    join projects p on p.id = r.project_id
    join organizations o on o.id = p.org_id
    left join issues i on i.id = d.issue_id and i.project_id = p.id
    -- a new-feedback firing's event_id is "feedback:<feedback id>" (evaluate-feedback.ts); its
    -- event is the one the feedback is about
    left join feedback fb on fb.project_id = p.id
      and fb.id = (case when d.event_id ~ '^feedback:[0-9]{1,18}$' then substr(d.event_id, 10)::bigint end)
    left join events e on e.project_id = p.id and e.event_id = coalesce(fb.associated_event_id, d.event_id) and e.issue_id = i.id
    where d.id = ${String(deliveryId)}::bigint`;
  if (!row) return null;
  const delivery = { id: BigInt(row.id), action: row.action as Action, status: row.status, secret: row.secret };
  if (row.wanted_issue_id !== null && row.issue_id === null) return { ...delivery, loaded: null };
  // Feedback deleted since (its project's retention): nothing left to tell.
  if (row.feedback_key && row.feedback_id === null) return { ...delivery, loaded: null };
  return { ...delivery, loaded: factsOf(row) };
}

function factsOf(row: Row): LoadedFacts {
  const feedback =
    row.feedback_id === null
      ? null
      : {
          id: row.feedback_id,
          name: row.feedback_name ?? "",
          email: row.feedback_email ?? "",
          message: row.feedback_message ?? "",
          url: row.feedback_url,
          eventId: row.feedback_event_id ?? "",
          associatedEventId: row.feedback_associated_event_id,
          dateCreated: row.feedback_created_at ?? new Date(),
        };
  const issue =
    row.issue_id === null
      ? feedback
        ? feedbackIssue(feedback)
        : sampleIssue()
      : {
          id: row.issue_id,
          shortId: `${row.project_slug.toUpperCase()}-${row.short_id}`,
          title: row.title,
          culprit: row.culprit,
          level: row.level,
          platform: row.platform,
          status: row.issue_status,
          timesSeen: row.times_seen,
          userCount: row.user_count,
          firstSeen: row.first_seen,
          lastSeen: row.last_seen,
        };
  const event =
    row.issue_id === null
      ? feedback
        ? null
        : sampleEvent()
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
    rule: { id: row.rule_id, name: row.rule_name },
    issue,
    event,
    feedback,
    test: row.test,
  };
  return { facts, orgId: row.org_id, assigneeId: row.assignee_id };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
