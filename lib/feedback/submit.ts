import { z } from "zod";
import { evaluateFeedbackAlerts } from "../alerts/evaluate-feedback";
import { enqueueAlertDeliveries } from "../alerts/enqueue";
import { type ApiViewer, API_SCOPES, authenticateRequest } from "../api/auth";
import { projectForViewer } from "../api/tenancy";
import { assertCan } from "../auth/permissions";
import { db, sqlTransaction } from "../db";
import { AppError } from "../errors";
import { logger } from "../logger";
import { lookupKey } from "../ingest/keys";
import { parseDsn } from "../protocol/auth";
import { redis, redisKey } from "../redis";
import { type FeedbackView, unsafeFeedbackById } from "./list";
import { insertFeedback } from "./store-feedback";
import { MAX_COMMENTS, eventIdOf } from "./values";

// Sentry's legacy user-feedback endpoint (what its crash-report dialog and old SDKs post):
// POST /api/0/projects/{org}/{project}/user-feedback/ with {event_id, name, email, comments}.

/** The project a user report goes to, once the poster proved it may post there. */
export type FeedbackTarget = { orgId: number; projectId: number };

/**
 * Who posts: a bearer token with feedback write scope of the URL's org (other orgs' slugs are
 * 404), or Sentry's `Authorization: DSN <dsn>` whose public key must be an active key of the
 * URL's project: an unknown key is 401, a key of any other project 403 (whether or not the
 * URL's project exists: a DSN is public and must not probe other tenants' slugs).
 */
export async function feedbackTarget(request: Request, orgSlug: string, projectSlug: string): Promise<FeedbackTarget> {
  const header = request.headers.get("authorization") ?? "";
  const dsn = /^DSN\s+(\S+)\s*$/i.exec(header);
  if (!dsn) {
    const viewer: ApiViewer = await authenticateRequest(request, API_SCOPES.feedbackWrite);
    const { project } = await projectForViewer(viewer, orgSlug, projectSlug);
    assertCan(viewer.role, "feedback:write");
    return { orgId: viewer.orgId, projectId: project.id };
  }
  const parsed = parseDsn(dsn[1]!);
  if (!parsed) throw new AppError("unauthorized", "Invalid DSN");
  // Ingest's cached key lookup: a stranger's made-up keys are refused without a query each.
  const key = await lookupKey(parsed.publicKey);
  if (!key?.active) throw new AppError("unauthorized", "Invalid DSN");
  const project =
    String(key.projectId) === parsed.projectId
      ? await db().project.findFirst({ where: { id: key.projectId, slug: projectSlug, org: { slug: orgSlug } }, select: { id: true } })
      : null;
  if (!project) throw new AppError("forbidden", "This DSN does not belong to this project");
  await reserveDsnReport(parsed.publicKey);
  return { orgId: key.orgId, projectId: key.projectId };
}

/** Reports one DSN may post a minute: the key is public, and ingest's quotas do not cover this route. */
export const DSN_REPORTS_PER_MINUTE = 60;

// One atomic step: the first report of a window starts its minute.
const COUNT_LUA = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n";

async function reserveDsnReport(publicKey: string): Promise<void> {
  const count = Number(await redis().eval(COUNT_LUA, 1, redisKey("feedback", "dsn-reports", publicKey), 60));
  if (count > DSN_REPORTS_PER_MINUTE) {
    throw new AppError("too_many_requests", `At most ${DSN_REPORTS_PER_MINUTE} reports a minute may be posted with one DSN; try again later.`);
  }
}

const reportSchema = z.object(
  {
    event_id: z.string({ error: "event_id is required" }).refine((v) => eventIdOf(v) !== null, "event_id must be a 32-character hex id"),
    name: z.string({ error: "name must be a string" }).trim().max(128, "name is longer than 128 characters").nullish(),
    email: z
      .union([z.literal(""), z.email({ error: "email is not a valid email address" }).max(254, "email is longer than 254 characters")], {
        error: "email is not a valid email address",
      })
      .nullish(),
    comments: z
      .string({ error: "comments is required" })
      .trim()
      .min(1, "comments is required")
      .max(MAX_COMMENTS, `comments is longer than ${MAX_COMMENTS} characters`),
  },
  { error: "The request body must be a JSON object" },
);

// Sentry lets a report be corrected for this long; later, it may be someone else's.
const EDITABLE_MS = 5 * 60_000;

/**
 * Stores a user report, or updates the project's report on the same event when that one is
 * at most five minutes old (Sentry's rule; older is 409). A new report goes through the
 * project's new-feedback alert rules like feedback from ingest. Returns the report as lists show it.
 */
export async function submitUserReport(target: FeedbackTarget, input: unknown, now = new Date()): Promise<FeedbackView> {
  const parsed = reportSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError("bad_request", issue.message);
  }
  const body = parsed.data;
  const eventId = eventIdOf(body.event_id)!;
  const row = { eventId, associated: eventId, name: body.name ?? "", email: body.email ?? "", message: body.comments, url: null, environment: null, at: now };
  const { id, deliveries } = await sqlTransaction(async (tx) => {
    const [inserted] = await insertFeedback(tx, target.projectId, [row]);
    if (inserted) return { id: inserted.id, deliveries: await evaluateFeedbackAlerts(tx, { id: target.projectId }, [inserted], now) };
    const [existing] = await tx.rows<{ id: string; created_at: Date }>`
      select id::text, created_at from feedback where project_id = ${target.projectId} and event_id = ${eventId} for update`;
    if (!existing) throw new AppError("conflict", "Feedback for this event is being written; try again");
    if (existing.created_at.getTime() < now.getTime() - EDITABLE_MS) throw new AppError("conflict", "Feedback for this event cannot be modified.");
    await tx.run`update feedback set name = ${row.name}, email = ${row.email}, message = ${row.message} where id = ${existing.id}::bigint`;
    return { id: existing.id, deliveries: [] as string[] };
  });
  // A delivery not queued stays pending; the alerts sweeper queues it later.
  if (deliveries.length > 0)
    await enqueueAlertDeliveries(deliveries).catch((error) => logger.error({ err: error, deliveries: deliveries.length }, "alert deliveries not queued"));
  const view = await unsafeFeedbackById(target.orgId, id);
  if (!view) throw new AppError("not_found", "no such feedback");
  return view;
}
