import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "@/lib/auth/sessions";
import { db } from "@/lib/db";
import { packSketch } from "@/lib/performance/sketch-bytes";
import { inviteMember } from "@/lib/members";
import { SCOPES, unsafeCreateApiToken } from "@/lib/tokens";
import { createAlertRule } from "@/lib/alerts/rules";
import { drainAll } from "../support/drain";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { ROOT, type Running, startNextServer } from "../support/processes";

// Tenant isolation, proven on the running app: org B's owner, with B's session and B's API
// token, calls every REST route and every server action with org A's slug and ids. Each must
// answer "not found" and change nothing of A's. The routes are enumerated from app/api/0 on
// disk and the server actions from the build's server-reference manifest, so a new route or
// action without a case here fails this suite.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
type Ids = {
  org: string;
  project: string;
  projectId: number;
  issueId: number;
  eventId: string;
  keyId: number;
  memberId: number;
  tokenId: number;
  ruleId: number;
  /** a release of A's, with a deploy and a commit; percent-encoded where it goes in a path */
  release: string;
  bundleId: number;
  releaseFileId: string;
  /** a cron monitor of A's, with an environment, a check-in and an open failure issue */
  monitorSlug: string;
  /** a transaction of A's (its group, stats, a span, the trace its event shares), and a pending span */
  transactionEventId: string;
  traceId: string;
};

let A: Tenant;
let B: Tenant;
let a: Ids;
let bToken: string;
let bCookie: string;
let web: Running;
let url: string;

async function sendEvent(tenant: Tenant, ingestBase: string) {
  const event = errorEvent({ tags: { browser: "Chrome" } });
  const res = await send(`${ingestBase}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, {
    body: eventEnvelope(event),
  });
  expect(res.status).toBe(200);
  await drainAll(tenant.project.id);
  return event.event_id.replaceAll("-", "");
}

/** A release with a deploy, a commit, an artifact bundle and a legacy release file, all A's. */
async function seedReleaseOfA() {
  const orgId = A.org.id;
  const version = "a-app@1.0.0+build 7";
  const release = await db().release.create({
    data: { orgId, version, projects: { create: { projectId: A.project.id } }, deploys: { create: { orgId, environment: "production" } } },
  });
  const repository = await db().repository.create({ data: { orgId, name: "a/app" } });
  const commit = await db().commit.create({ data: { orgId, repositoryId: repository.id, key: "a".repeat(40), message: "A's commit" } });
  await db().releaseCommit.create({ data: { releaseId: release.id, commitId: commit.id, order: 0 } });
  const bundle = await db().artifactBundle.create({
    data: {
      orgId,
      bundleId: "0b1c7e3a-4a1d-4f5e-9c1a-000000000001",
      checksum: "b".repeat(40),
      size: 10,
      fileCount: 1,
      release: version,
      projects: { create: { projectId: A.project.id } },
    },
  });
  const file = await db().artifactFile.create({
    data: { orgId, projectId: A.project.id, release: version, url: "~/a.js", type: "minified_source", blobKey: `artifacts/${orgId}/release-files/1`, size: 1, sha1: "c".repeat(40) },
  });
  return { release: encodeURIComponent(version), bundleId: bundle.id, releaseFileId: String(file.id) };
}

/** A cron monitor with a check-in, feedback on A's event, and a release-health hour, all A's. */
async function seedCronsFeedbackAndSessionsOfA(eventId: string, issueId: number) {
  const monitor = await db().monitor.create({
    data: { orgId: A.org.id, projectId: A.project.id, slug: "a-nightly", name: "A's nightly", scheduleType: "crontab", schedule: "0 3 * * *" },
  });
  const environment = await db().monitorEnvironment.create({
    data: { monitorId: monitor.id, environment: "production", status: "error", issueId, lastCheckIn: new Date() },
  });
  await db().checkIn.create({
    data: {
      projectId: A.project.id,
      checkInId: "a".repeat(32),
      monitorSlug: monitor.slug,
      monitorId: monitor.id,
      monitorEnvironmentId: environment.id,
      status: "in_progress",
      environment: "production",
      createdAt: new Date(),
      updatedAt: new Date(),
      payload: {},
    },
  });
  await db().feedback.create({
    data: { projectId: A.project.id, eventId: "f".repeat(32), associatedEventId: eventId, name: "A's reporter", message: "A's feedback message", createdAt: new Date() },
  });
  await db().sessionCount.create({
    data: { projectId: A.project.id, hour: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000), release: "a-app@1.0.0+build 7", started: 3, crashed: 1 },
  });
  return { monitorSlug: monitor.slug };
}

/** A transaction with a span, its group's stats, and the trace A's event is part of, all A's. */
async function seedPerformanceOfA(eventId: string) {
  const projectId = A.project.id;
  const traceId = "a1".repeat(16);
  const transactionEventId = "e1".repeat(16);
  const now = new Date();
  const group = await db().transactionGroup.create({ data: { projectId, name: "A's checkout", op: "http.server", method: "POST" } });
  const span = { span_id: "b".repeat(16), parent_span_id: "c".repeat(16), op: "db", description: "A's query", start_timestamp: now.getTime() / 1000 - 0.1, timestamp: now.getTime() / 1000 };
  await db().transaction.create({
    data: {
      projectId,
      groupId: group.id,
      eventId: transactionEventId,
      name: group.name,
      op: group.op,
      method: group.method,
      status: "ok",
      traceId,
      spanId: "c".repeat(16),
      durationMs: 120,
      startTimestamp: new Date(now.getTime() - 120),
      timestamp: now,
      spanCount: 1,
      payload: { event_id: transactionEventId, type: "transaction", transaction: group.name, spans: [span] },
    },
  });
  for (const [resolution, unit] of [["h", 3_600_000], ["d", 86_400_000]] as const) {
    const bucket = new Date(Math.floor(now.getTime() / unit) * unit);
    await db().transactionStat.create({ data: { groupId: group.id, projectId, resolution, bucket, count: 1, durationSum: 120, sketch: packSketch({ 600: 1 }) } });
    await db().transactionErrorStat.create({ data: { projectId, resolution, bucket, name: group.name, count: 1 } });
  }
  await db().pendingSpan.create({ data: { projectId, segmentId: "d".repeat(16), spans: [span], spanCount: 1, receivedAt: now } });
  await db().event.updateMany({ where: { projectId, eventId }, data: { traceId } });
  return { transactionEventId, traceId };
}

/** Everything of A's that an attempt could change. */
async function snapshotOfA() {
  const orgId = A.org.id;
  return JSON.stringify(
    await Promise.all([
      db().organization.findUnique({ where: { id: orgId }, select: { name: true, slug: true, plan: true } }),
      db().project.findMany({ where: { orgId }, orderBy: { id: "asc" }, select: { id: true, name: true, slug: true, platform: true, scrubData: true, filters: true } }),
      db().projectKey.findMany({ where: { project: { orgId } }, orderBy: { id: "asc" }, select: { id: true, label: true, active: true, rateLimitCount: true, rateLimitWindow: true } }),
      db().membership.findMany({ where: { orgId }, orderBy: { id: "asc" }, select: { userId: true, role: true } }),
      db().apiToken.findMany({ where: { orgId }, orderBy: { id: "asc" }, select: { id: true, revokedAt: true } }),
      db().invitation.count({ where: { orgId } }),
      db().issue.findMany({ where: { project: { orgId } }, orderBy: { id: "asc" }, select: { id: true, status: true, assigneeId: true, timesSeen: true } }),
      db().issueActivity.count({ where: { issue: { project: { orgId } } } }),
      db().event.count({ where: { project: { orgId } } }),
      db().auditLog.count({ where: { orgId } }),
      db().alertRule.findMany({ where: { project: { orgId } }, orderBy: { id: "asc" }, select: { id: true, name: true, conditions: true, actions: true, frequency: true } }),
      db().alertDelivery.count({ where: { rule: { project: { orgId } } } }),
      db().release.findMany({ where: { orgId }, orderBy: { id: "asc" }, select: { version: true, dateReleased: true, ref: true, url: true } }),
      db().releaseProject.count({ where: { release: { orgId } } }),
      db().deploy.count({ where: { orgId } }),
      db().releaseCommit.count({ where: { release: { orgId } } }),
      db().artifactBundle.count({ where: { orgId } }),
      db().artifactFile.count({ where: { orgId } }),
      db().fileChunk.count({ where: { orgId } }),
      db().monitor.findMany({ where: { orgId }, orderBy: { id: "asc" }, select: { slug: true, name: true, isMuted: true, status: true, schedule: true, checkinMargin: true } }),
      db().monitorEnvironment.findMany({ where: { monitor: { orgId } }, orderBy: { id: "asc" }, select: { status: true, nextCheckIn: true, issueId: true } }),
      db().checkIn.findMany({ where: { project: { orgId } }, orderBy: { id: "asc" }, select: { status: true, durationMs: true } }),
      db().feedback.findMany({ where: { project: { orgId } }, orderBy: { id: "asc" }, select: { name: true, email: true, message: true } }),
      db().sessionCount.count({ where: { project: { orgId } } }),
      db().project.findMany({ where: { orgId }, orderBy: { id: "asc" }, select: { apdexThresholdMs: true } }),
      db().transaction.findMany({ where: { project: { orgId } }, orderBy: { id: "asc" }, select: { eventId: true, name: true, durationMs: true, payload: true } }),
      db().transactionGroup.count({ where: { project: { orgId } } }),
      db().transactionStat.findMany({ where: { project: { orgId } }, orderBy: [{ resolution: "asc" }, { bucket: "asc" }], select: { count: true, sketch: true } }),
      db().transactionErrorStat.count({ where: { project: { orgId } } }),
      db().pendingSpan.count({ where: { project: { orgId } } }),
    ]),
  );
}

beforeAll(async () => {
  const ingest = await startIngest();
  try {
    A = await createOrgWithProject();
    B = await createOrgWithProject();
    const eventId = await sendEvent(A, ingest.base);
    await sendEvent(B, ingest.base);
    const issue = await db().issue.findFirstOrThrow({ where: { projectId: A.project.id }, select: { id: true } });
    const member = await db().user.create({ data: { email: `member-${A.org.slug}@example.com` } });
    await db().membership.create({ data: { orgId: A.org.id, userId: member.id, role: "member" } });
    const token = await unsafeCreateApiToken({ userId: A.user.id, orgId: A.org.id, name: "A's", scopes: [...SCOPES] });
    const owner = { userId: A.user.id, orgId: A.org.id, role: "owner" as const };
    await inviteMember(owner, { email: `invited-${A.org.slug}@example.com`, role: "member" });
    const rule = await createAlertRule(owner, A.project.id, {
      name: "A's alert",
      actionMatch: "all",
      frequency: 30,
      conditions: [{ id: "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition" }],
      actions: [{ id: "errorhub.actions.webhook", url: "https://hooks.example.com/a" }],
    });
    const release = await seedReleaseOfA();
    const crons = await seedCronsFeedbackAndSessionsOfA(eventId, issue.id);
    const performance = await seedPerformanceOfA(eventId);
    a = {
      ...release,
      ...crons,
      ...performance,
      org: A.org.slug,
      project: A.project.slug,
      projectId: A.project.id,
      issueId: issue.id,
      eventId,
      keyId: A.key.id,
      memberId: member.id,
      tokenId: token.id,
      ruleId: rule.id,
    };
  } finally {
    await ingest.close();
  }
  bToken = (await unsafeCreateApiToken({ userId: B.user.id, orgId: B.org.id, name: "B's", scopes: [...SCOPES] })).token;
  bCookie = `${SESSION_COOKIE}=${(await createSession(B.user.id)).token}`;

  ({ process: web, url } = await startNextServer());
}, 600_000);

afterAll(async () => {
  await web?.stop("SIGKILL");
});

// ---------------------------------------------------------------- REST API

const API_DIR = path.join(ROOT, "app/api/0");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** Every route file under app/api/0 as the path pattern Next serves it at. */
function apiRoutes(): { pattern: string; file: string }[] {
  return (readdirSync(API_DIR, { recursive: true }) as string[])
    .filter((f) => path.basename(f) === "route.ts")
    .map((f) => ({ pattern: `/api/0/${path.dirname(f)}`.replace(/\/\.$/, ""), file: path.join(API_DIR, f) }))
    .sort((x, y) => x.pattern.localeCompare(y.pattern));
}

// For each route: the paths by which B could reach A's data. With A's org slug, and, where the
// route takes ids, with B's own slug and A's ids.
const ev = (ids: Ids) => ids.eventId;
const ROUTE_CASES: Record<string, (ids: Ids, b: Tenant) => string[]> = {
  "/api/0/organizations/[org]": (ids) => [`/api/0/organizations/${ids.org}/`],
  "/api/0/organizations/[org]/projects": (ids) => [`/api/0/organizations/${ids.org}/projects/`],
  "/api/0/organizations/[org]/issues": (ids, b) => [
    `/api/0/organizations/${ids.org}/issues/`,
    `/api/0/organizations/${ids.org}/issues/?id=${ids.issueId}`,
    `/api/0/organizations/${b.org.slug}/issues/?id=${ids.issueId}`,
    `/api/0/organizations/${b.org.slug}/issues/?project=${ids.projectId}`,
  ],
  "/api/0/organizations/[org]/issues/[id]": (ids, b) => [
    `/api/0/organizations/${ids.org}/issues/${ids.issueId}/`,
    `/api/0/organizations/${b.org.slug}/issues/${ids.issueId}/`,
  ],
  "/api/0/organizations/[org]/issues/[id]/events": (ids, b) => [
    `/api/0/organizations/${ids.org}/issues/${ids.issueId}/events/`,
    `/api/0/organizations/${b.org.slug}/issues/${ids.issueId}/events/`,
  ],
  "/api/0/organizations/[org]/issues/[id]/events/[eventId]": (ids, b) => [
    `/api/0/organizations/${ids.org}/issues/${ids.issueId}/events/${ev(ids)}/`,
    `/api/0/organizations/${b.org.slug}/issues/${ids.issueId}/events/latest/`,
  ],
  "/api/0/organizations/[org]/issues/[id]/tags": (ids, b) => [
    `/api/0/organizations/${ids.org}/issues/${ids.issueId}/tags/`,
    `/api/0/organizations/${b.org.slug}/issues/${ids.issueId}/tags/`,
  ],
  "/api/0/organizations/[org]/issues/[id]/tags/[key]": (ids, b) => [
    `/api/0/organizations/${ids.org}/issues/${ids.issueId}/tags/browser/`,
    `/api/0/organizations/${b.org.slug}/issues/${ids.issueId}/tags/browser/`,
  ],
  "/api/0/organizations/[org]/issues/[id]/tags/[key]/values": (ids, b) => [
    `/api/0/organizations/${ids.org}/issues/${ids.issueId}/tags/browser/values/`,
    `/api/0/organizations/${b.org.slug}/issues/${ids.issueId}/tags/browser/values/`,
  ],
  "/api/0/organizations/[org]/stats_v2": (ids) => [`/api/0/organizations/${ids.org}/stats_v2/?field=sum(quantity)&groupBy=outcome&statsPeriod=30d`],
  "/api/0/issues/[id]": (ids) => [`/api/0/issues/${ids.issueId}/`],
  "/api/0/issues/[id]/events": (ids) => [`/api/0/issues/${ids.issueId}/events/`],
  "/api/0/issues/[id]/events/[eventId]": (ids) => [`/api/0/issues/${ids.issueId}/events/${ev(ids)}/`],
  "/api/0/issues/[id]/tags": (ids) => [`/api/0/issues/${ids.issueId}/tags/`],
  "/api/0/issues/[id]/tags/[key]": (ids) => [`/api/0/issues/${ids.issueId}/tags/browser/`],
  "/api/0/issues/[id]/tags/[key]/values": (ids) => [`/api/0/issues/${ids.issueId}/tags/browser/values/`],
  "/api/0/projects/[org]/[project]": (ids, b) => [`/api/0/projects/${ids.org}/${ids.project}/`, `/api/0/projects/${b.org.slug}/${ids.project}/`],
  "/api/0/projects/[org]/[project]/keys": (ids, b) => [
    `/api/0/projects/${ids.org}/${ids.project}/keys/`,
    `/api/0/projects/${b.org.slug}/${ids.project}/keys/`,
  ],
  "/api/0/projects/[org]/[project]/rules": (ids, b) => [
    `/api/0/projects/${ids.org}/${ids.project}/rules/`,
    `/api/0/projects/${b.org.slug}/${ids.project}/rules/`,
  ],
  "/api/0/projects/[org]/[project]/rules/[id]": (ids, b) => [
    `/api/0/projects/${ids.org}/${ids.project}/rules/${ids.ruleId}/`,
    `/api/0/projects/${b.org.slug}/${b.project.slug}/rules/${ids.ruleId}/`,
  ],
  "/api/0/projects/[org]/[project]/rules/[id]/test": (ids, b) => [
    `/api/0/projects/${ids.org}/${ids.project}/rules/${ids.ruleId}/test/`,
    `/api/0/projects/${b.org.slug}/${b.project.slug}/rules/${ids.ruleId}/test/`,
  ],
  "/api/0/organizations/[org]/releases": (ids) => [`/api/0/organizations/${ids.org}/releases/`],
  "/api/0/organizations/[org]/releases/[version]": (ids, b) => [
    `/api/0/organizations/${ids.org}/releases/${ids.release}/`,
    `/api/0/organizations/${b.org.slug}/releases/${ids.release}/`,
  ],
  "/api/0/organizations/[org]/releases/[version]/deploys": (ids, b) => [
    `/api/0/organizations/${ids.org}/releases/${ids.release}/deploys/`,
    `/api/0/organizations/${b.org.slug}/releases/${ids.release}/deploys/`,
  ],
  "/api/0/organizations/[org]/releases/[version]/commits": (ids, b) => [
    `/api/0/organizations/${ids.org}/releases/${ids.release}/commits/`,
    `/api/0/organizations/${b.org.slug}/releases/${ids.release}/commits/`,
  ],
  "/api/0/organizations/[org]/releases/[version]/previous-with-commits": (ids, b) => [
    `/api/0/organizations/${ids.org}/releases/${ids.release}/previous-with-commits/`,
    `/api/0/organizations/${b.org.slug}/releases/${ids.release}/previous-with-commits/`,
  ],
  "/api/0/organizations/[org]/repos": (ids) => [`/api/0/organizations/${ids.org}/repos/`],
  "/api/0/organizations/[org]/chunk-upload": (ids) => [`/api/0/organizations/${ids.org}/chunk-upload/`],
  "/api/0/organizations/[org]/artifactbundle/assemble": (ids) => [`/api/0/organizations/${ids.org}/artifactbundle/assemble/`],
  "/api/0/projects/[org]/[project]/releases": (ids, b) => [
    `/api/0/projects/${ids.org}/${ids.project}/releases/`,
    `/api/0/projects/${b.org.slug}/${ids.project}/releases/`,
  ],
  "/api/0/projects/[org]/[project]/releases/[version]": (ids, b) => [
    `/api/0/projects/${ids.org}/${ids.project}/releases/${ids.release}/`,
    `/api/0/projects/${b.org.slug}/${ids.project}/releases/${ids.release}/`,
    `/api/0/projects/${b.org.slug}/${b.project.slug}/releases/${ids.release}/`,
  ],
  "/api/0/projects/[org]/[project]/releases/[version]/files": (ids, b) => [
    `/api/0/projects/${ids.org}/${ids.project}/releases/${ids.release}/files/`,
    `/api/0/projects/${b.org.slug}/${ids.project}/releases/${ids.release}/files/`,
  ],
  "/api/0/projects/[org]/[project]/releases/[version]/files/[id]": (ids, b) => [
    `/api/0/projects/${ids.org}/${ids.project}/releases/${ids.release}/files/${ids.releaseFileId}/`,
    `/api/0/projects/${b.org.slug}/${b.project.slug}/releases/${ids.release}/files/${ids.releaseFileId}/`,
  ],
  "/api/0/projects/[org]/[project]/files/artifact-bundles": (ids, b) => [
    `/api/0/projects/${ids.org}/${ids.project}/files/artifact-bundles/`,
    `/api/0/projects/${b.org.slug}/${ids.project}/files/artifact-bundles/?bundleId=0b1c7e3a-4a1d-4f5e-9c1a-000000000001`,
  ],
  // (B's own list filtered by A's project id is a 404 in monitors-api.test.ts; here a POST to
  // B's own org with that query would be B's own bad request)
  "/api/0/organizations/[org]/monitors": (ids) => [`/api/0/organizations/${ids.org}/monitors/`],
  "/api/0/organizations/[org]/monitors/[slug]": (ids, b) => [
    `/api/0/organizations/${ids.org}/monitors/${ids.monitorSlug}/`,
    `/api/0/organizations/${b.org.slug}/monitors/${ids.monitorSlug}/`,
    `/api/0/organizations/${b.org.slug}/monitors/${ids.monitorSlug}/?project=${ids.projectId}`,
  ],
  "/api/0/organizations/[org]/monitors/[slug]/checkins": (ids, b) => [
    `/api/0/organizations/${ids.org}/monitors/${ids.monitorSlug}/checkins/`,
    `/api/0/organizations/${b.org.slug}/monitors/${ids.monitorSlug}/checkins/`,
  ],
  "/api/0/projects/[org]/[project]/user-feedback": (ids, b) => [
    `/api/0/projects/${ids.org}/${ids.project}/user-feedback/`,
    `/api/0/projects/${b.org.slug}/${ids.project}/user-feedback/`,
  ],
  "/api/0/organizations/[org]/issues/[id]/user-reports": (ids, b) => [
    `/api/0/organizations/${ids.org}/issues/${ids.issueId}/user-reports/`,
    `/api/0/organizations/${b.org.slug}/issues/${ids.issueId}/user-reports/`,
  ],
  "/api/0/issues/[id]/user-reports": (ids) => [`/api/0/issues/${ids.issueId}/user-reports/`],
  "/api/0/organizations/[org]/sessions": (ids, b) => [
    `/api/0/organizations/${ids.org}/sessions/?field=sum(session)`,
    `/api/0/organizations/${b.org.slug}/sessions/?field=sum(session)&project=${ids.projectId}`,
  ],
  // (B's own lists filtered by A's project id: B's own bad request or an empty list, never A's rows)
  "/api/0/organizations/[org]/transaction-groups": (ids, b) => [
    `/api/0/organizations/${ids.org}/transaction-groups/`,
    `/api/0/organizations/${b.org.slug}/transaction-groups/?project=${ids.projectId}`,
  ],
  "/api/0/organizations/[org]/transactions": (ids, b) => [
    `/api/0/organizations/${ids.org}/transactions/?transaction=${encodeURIComponent("A's checkout")}`,
    `/api/0/organizations/${b.org.slug}/transactions/?project=${ids.projectId}&transaction=${encodeURIComponent("A's checkout")}`,
  ],
  "/api/0/organizations/[org]/events/[eventRef]": (ids, b) => [
    `/api/0/organizations/${ids.org}/events/${ids.project}:${ids.transactionEventId}/`,
    `/api/0/organizations/${b.org.slug}/events/${ids.project}:${ids.transactionEventId}/`,
    `/api/0/organizations/${b.org.slug}/events/${b.project.slug}:${ids.transactionEventId}/`,
    `/api/0/organizations/${b.org.slug}/events/${ids.project}:${ids.eventId}/`,
  ],
  "/api/0/organizations/[org]/events-trace/[traceId]": (ids, b) => [
    `/api/0/organizations/${ids.org}/events-trace/${ids.traceId}/`,
    `/api/0/organizations/${b.org.slug}/events-trace/${ids.traceId}/`,
  ],
  "/api/0/projects/[org]/[project]/issues": (ids, b) => [
    `/api/0/projects/${ids.org}/${ids.project}/issues/`,
    `/api/0/projects/${b.org.slug}/${ids.project}/issues/`,
    `/api/0/projects/${b.org.slug}/${b.project.slug}/issues/?id=${ids.issueId}`,
  ],
};
// Routes that take no org or id of anyone's: what they list is checked instead.
const LISTING_ROUTES: Record<string, string> = {
  "/api/0/organizations": "/api/0/organizations/",
};
// Routes about the token itself (what `sentry-cli info` reads): they must describe B's token.
const SELF_ROUTES: Record<string, string> = {
  "/api/0": "/api/0/",
};

// Route handlers outside the REST API: signed-in pages' downloads (B's session cookie, A's slug)
// and the routes that belong to no tenant.
const COOKIE_ROUTE_CASES: Record<string, (ids: Ids) => string> = {
  "app/[org]/settings/audit/export/route.ts": (ids) => `/${ids.org}/settings/audit/export`,
};
const TENANT_FREE_ROUTES: Record<string, string> = {
  "app/%5Fhealth/route.ts": "health: says only whether Postgres and Redis answer",
  "app/%5Fmetrics/route.ts": "the process's Prometheus metrics: install-wide, bearer METRICS_TOKEN, 404 when off",
  "app/api/webhooks/stripe/route.ts": "Stripe's signed deliveries; the org comes from the verified event",
  "app/api/webhooks/clerk/route.ts": "Clerk's signed deliveries; the org comes from the verified event",
};

/** Every route handler of the app outside app/api/0, relative to the project root. */
function otherRoutes(): string[] {
  return (readdirSync(path.join(ROOT, "app"), { recursive: true }) as string[])
    .filter((f) => path.basename(f) === "route.ts" && !f.startsWith("api/0/"))
    .map((f) => `app/${f}`)
    .sort();
}

describe("every route handler, called by org B with org A's slug and ids", () => {
  it("has an isolation case for each route file", () => {
    const missing = apiRoutes()
      .map((r) => r.pattern)
      .filter((p) => !ROUTE_CASES[p] && !LISTING_ROUTES[p] && !SELF_ROUTES[p]);
    expect(missing, "add these routes to ROUTE_CASES in tests/integration/isolation.test.ts").toEqual([]);
    const others = otherRoutes().filter((f) => !COOKIE_ROUTE_CASES[f] && !TENANT_FREE_ROUTES[f]);
    expect(others, "add these routes to COOKIE_ROUTE_CASES or TENANT_FREE_ROUTES").toEqual([]);
  });

  it("answers 404 to B's session for A's pages' routes", async () => {
    for (const [file, pathFor] of Object.entries(COOKIE_ROUTE_CASES)) {
      const res = await fetch(`${url}${pathFor(a)}`, { headers: { cookie: bCookie }, redirect: "manual" });
      expect(res.status, file).toBe(404);
    }
  });

  it("answers 404 for every method and path, and changes nothing of A's", async () => {
    const before = await snapshotOfA();
    const answers: string[] = [];
    const leaks: string[] = [];
    for (const route of apiRoutes()) {
      const cases = ROUTE_CASES[route.pattern];
      if (!cases) continue;
      const module = (await import(route.file)) as Record<string, unknown>;
      const methods = METHODS.filter((m) => typeof module[m] === "function");
      expect(methods.length, route.pattern).toBeGreaterThan(0);
      for (const method of methods) {
        for (const p of cases(a, B)) {
          const res = await fetch(`${url}${p}`, {
            method,
            headers: { authorization: `Bearer ${bToken}`, "content-type": "application/json" },
            body: method === "GET" || method === "DELETE" ? undefined : JSON.stringify({ status: "resolved", assignedTo: "" }),
          });
          answers.push(`${method} ${p} -> ${res.status}`);
          const body = await res.text();
          // B's own list read with A's ids in the query is B's list: it must not show A's data.
          const ownList = method === "GET" && res.status === 200 && !p.includes(`/${a.org}/`) && p.includes("?");
          const showsA = [a.project, a.eventId, a.transactionEventId, "A's checkout", "A's query"].some((marker) => body.includes(marker)) || listsIssue(body, a.issueId);
          if (ownList ? showsA : res.status !== 404) leaks.push(`${method} ${p} -> ${res.status} ${body.slice(0, 200)}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(answers.length).toBeGreaterThanOrEqual(Object.keys(ROUTE_CASES).length);
    expect(await snapshotOfA()).toBe(before);
  });

  it("lists only B's own organization", async () => {
    for (const p of Object.values(LISTING_ROUTES)) {
      const res = await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${bToken}` } });
      expect(res.status).toBe(200);
      const slugs = ((await res.json()) as { slug: string }[]).map((o) => o.slug);
      expect(slugs).toEqual([B.org.slug]);
    }
  });

  it("describes B's own token and user", async () => {
    for (const p of Object.values(SELF_ROUTES)) {
      const res = await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${bToken}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { user: { email: string } };
      expect(body.user.email).toBe(B.user.email);
    }
  });
});

// ---------------------------------------------------------------- pages

/** Every dashboard page (each page.tsx under app/[org]) as a URL for `org`, with `ids` for its other segments. */
function orgPages(org: string, ids: Ids): string[] {
  return (readdirSync(path.join(ROOT, "app/[org]"), { recursive: true }) as string[])
    .filter((f) => path.basename(f) === "page.tsx")
    .map((f) => {
      const segments = path
        .dirname(f)
        .split("/")
        .filter((x) => x !== ".")
        .map((x, i, all) =>
          x === "[id]"
            ? String(all[i - 1] === "alerts" ? ids.ruleId : ids.issueId)
            : x === "[project]"
              ? ids.project
              : x === "[version]"
                ? ids.release
                : x === "[slug]"
                  ? ids.monitorSlug
                  : x === "[eventId]"
                    ? ids.transactionEventId
                    : x === "[traceId]"
                      ? ids.traceId
                      : x,
        );
      expect(segments.filter((x) => x.startsWith("[")), f).toEqual([]);
      return `/${[org, ...segments].join("/")}`;
    })
    .sort();
}

describe("every dashboard page, opened by org B's owner", () => {
  it("is not found with A's slug, nor with B's slug and A's ids, and shows nothing of A's", async () => {
    const issue = await db().issue.findUniqueOrThrow({ where: { id: a.issueId }, select: { title: true } });
    const markersOfA = [A.project.name, issue.title.replaceAll("'", "&#x27;"), a.eventId, "A&#x27;s alert", "A&#x27;s feedback message", "A&#x27;s nightly", "A&#x27;s checkout", "A&#x27;s query"];
    const foreignOrg = orgPages(a.org, a);
    const foreignIds = orgPages(B.org.slug, a).filter(
      (p) =>
        p.includes(`/${a.issueId}`) ||
        p.includes(`/${a.project}/`) ||
        p.endsWith(`/${a.project}`) ||
        p.endsWith(`/releases/${a.release}`) ||
        p.endsWith(`/crons/${a.monitorSlug}`) ||
        p.endsWith(`/trace/${a.traceId}`),
    );
    // Pages that take A's ids in their query string.
    foreignIds.push(`/${B.org.slug}/performance/summary?project=${a.project}&transaction=${encodeURIComponent("A's checkout")}`);
    expect(foreignOrg.length).toBeGreaterThanOrEqual(12);
    // an issue's page; a release's page; a monitor's page; a project's getting started,
    // settings, source maps, alerts, new alert rule and alert rule; a transaction's
    // waterfall, a trace, a transaction's summary
    expect(foreignIds.length).toBe(12);
    const shown: string[] = [];
    for (const p of [...foreignOrg, ...foreignIds]) {
      const res = await fetch(`${url}${p}`, { headers: { cookie: bCookie }, redirect: "manual" });
      const body = await res.text();
      // A stranger to the org is refused by the layout: 404. Within B's org the page has begun
      // streaming (its loading state) when lib finds nothing, so Next answers 200 with the
      // not-found page in place of the content.
      const notFound = res.status === 404 || (foreignIds.includes(p) && body.includes("This page does not exist"));
      if (!notFound || markersOfA.some((m) => body.includes(m))) shown.push(`${p} -> ${res.status}`);
    }
    expect(shown).toEqual([]);
  });
});

// ---------------------------------------------------------------- server actions

type ManifestAction = { id: string; filename: string; exportedName: string; page: string };

/** Every server action of the build, with a page that hosts it (an action is posted to a page). */
function serverActions(): ManifestAction[] {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, ".next/server/server-reference-manifest.json"), "utf8")) as {
    node: Record<string, { filename: string; exportedName: string; workers: Record<string, unknown> }>;
  };
  return Object.entries(manifest.node).map(([id, action]) => ({
    id,
    filename: action.filename,
    exportedName: action.exportedName,
    page: Object.keys(action.workers)[0]!,
  }));
}

/** The URL of a page of the manifest ("app/[org]/issues/page") for org B. */
function pageUrl(page: string): string {
  return `/${page
    .replace(/^app\//, "")
    .replace(/\/?page$/, "")
    .split("/")
    .filter((s) => !/^\(.*\)$/.test(s))
    .map((s) => (s === "[org]" ? B.org.slug : s === "[project]" ? B.project.slug : s.startsWith("[") ? "1" : s))
    .join("/")}`;
}

type ActionCase = {
  /** the action's arguments as the client sends them: bound values, the previous state, the form */
  args: (ids: Ids, b: Tenant) => unknown[][];
  form?: Record<string, string> | ((ids: Ids) => Record<string, string>);
};
const form = (fields: Record<string, string> = {}) => {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  return data;
};
// Org-scoped actions take the org slug first: with A's slug B is a stranger (404); with B's
// own slug and A's ids, lib finds nothing (its "no such ..." message, or a 404).
const ACTION_CASES: Record<string, ActionCase> = {
  "app/[org]/settings/actions.ts#inviteAction": { args: (ids) => [[ids.org]], form: { email: "x@example.com", role: "admin" } },
  "app/[org]/settings/actions.ts#changeRoleAction": { args: (ids, b) => [[ids.org, ids.memberId], [b.org.slug, ids.memberId]], form: { role: "admin" } },
  "app/[org]/settings/actions.ts#removeMemberAction": { args: (ids, b) => [[ids.org, ids.memberId], [b.org.slug, ids.memberId]] },
  "app/[org]/settings/actions.ts#createTokenAction": { args: (ids) => [[ids.org]], form: { name: "x", scopes: "org:read" } },
  "app/[org]/settings/actions.ts#revokeTokenAction": { args: (ids, b) => [[ids.org, ids.tokenId], [b.org.slug, ids.tokenId]] },
  "app/[org]/settings/actions.ts#updateOrgAction": { args: (ids) => [[ids.org]], form: { name: "Taken over", slug: "taken-over" } },
  "app/[org]/projects/actions.ts#createProjectAction": { args: (ids) => [[ids.org]], form: { name: "Intruder", platform: "node" } },
  "app/[org]/projects/actions.ts#updateProjectAction": {
    args: (ids, b) => [[ids.org, ids.projectId], [b.org.slug, ids.projectId]],
    form: { name: "x", slug: "x", platform: "node", currentSlug: "x" },
  },
  "app/[org]/projects/actions.ts#deleteProjectAction": { args: (ids, b) => [[ids.org, ids.projectId], [b.org.slug, ids.projectId]], form: (ids) => ({ confirm: ids.project }) },
  "app/[org]/projects/actions.ts#createKeyAction": { args: (ids, b) => [[ids.org, ids.projectId], [b.org.slug, ids.projectId]], form: { label: "x" } },
  "app/[org]/projects/actions.ts#updateKeyAction": { args: (ids, b) => [[ids.org, ids.keyId], [b.org.slug, ids.keyId]], form: { label: "x" } },
  "app/[org]/projects/actions.ts#rotateKeyAction": { args: (ids, b) => [[ids.org, ids.keyId], [b.org.slug, ids.keyId]] },
  "app/[org]/projects/actions.ts#deleteKeyAction": { args: (ids, b) => [[ids.org, ids.keyId], [b.org.slug, ids.keyId]] },
  "app/[org]/issues/actions.ts#updateIssuesAction": {
    args: (ids, b) => [[ids.org], [b.org.slug]],
    form: (ids) => ({ operation: "resolve", issue: String(ids.issueId) }),
  },
  "app/[org]/issues/actions.ts#commentAction": { args: (ids, b) => [[ids.org, ids.issueId], [b.org.slug, ids.issueId]], form: { text: "x" } },
  "app/[org]/settings/billing/actions.ts#checkoutAction": { args: (ids) => [[ids.org]], form: { plan: "team" } },
  "app/[org]/settings/billing/actions.ts#portalAction": { args: (ids) => [[ids.org]] },
  "app/[org]/settings/billing/actions.ts#budgetAction": { args: (ids) => [[ids.org]], form: { budget: "100" } },
  "app/[org]/settings/notifications/actions.ts#setAlertEmailsAction": { args: (ids) => [[ids.org]], form: { alertEmails: "none" } },
  "app/[org]/projects/[project]/alerts/actions.ts#createRuleAction": {
    args: (ids, b) => [
      [ids.org, ids.project, ids.projectId],
      [b.org.slug, b.project.slug, ids.projectId],
    ],
    form: {
      name: "Intruder",
      actionMatch: "all",
      filterMatch: "all",
      frequency: "30",
      condition: "firstSeen",
      actionRow: "0",
      "action.0.kind": "webhook",
      "action.0.url": "https://intruder.example.com/",
    },
  },
  "app/[org]/projects/[project]/alerts/actions.ts#updateRuleAction": {
    args: (ids, b) => [
      [ids.org, ids.project, ids.projectId, ids.ruleId],
      [b.org.slug, b.project.slug, ids.projectId, ids.ruleId],
      [b.org.slug, b.project.slug, b.project.id, ids.ruleId],
    ],
    form: {
      name: "Taken over",
      actionMatch: "all",
      filterMatch: "all",
      frequency: "30",
      condition: "everyEvent",
      actionRow: "0",
      "action.0.kind": "webhook",
      "action.0.url": "https://intruder.example.com/",
    },
  },
  "app/[org]/projects/[project]/alerts/actions.ts#deleteRuleAction": {
    args: (ids, b) => [
      [ids.org, ids.project, ids.projectId, ids.ruleId],
      [b.org.slug, b.project.slug, b.project.id, ids.ruleId],
    ],
  },
  "app/[org]/projects/[project]/settings/source-maps/actions.ts#deleteBundleAction": {
    args: (ids, b) => [
      [ids.org, ids.project, ids.projectId, ids.bundleId],
      [b.org.slug, b.project.slug, b.project.id, ids.bundleId],
      [b.org.slug, b.project.slug, ids.projectId, ids.bundleId],
    ],
  },
  "app/[org]/crons/actions.ts#createMonitorAction": {
    args: (ids) => [[ids.org]],
    form: (ids) => ({ project: ids.project, name: "Intruder", scheduleType: "crontab", crontab: "* * * * *" }),
  },
  "app/[org]/crons/actions.ts#setMonitorMutedAction": {
    args: (ids, b) => [
      [ids.org, ids.monitorSlug, ids.projectId, true],
      [b.org.slug, ids.monitorSlug, ids.projectId, true],
    ],
  },
  "app/[org]/crons/actions.ts#deleteMonitorAction": {
    args: (ids, b) => [
      [ids.org, ids.monitorSlug, ids.projectId],
      [b.org.slug, ids.monitorSlug, ids.projectId],
    ],
  },
  // The operator console's buttons: install-level, superusers only; B's owner is not one.
  "app/%5Fadmin/actions.ts#retryJobAction": { args: () => [[]], form: { queue: "events", id: "1" } },
  "app/%5Fadmin/actions.ts#deleteJobAction": { args: () => [[]], form: { queue: "events", id: "1" } },
  "app/%5Fadmin/actions.ts#retryDeadLetterAction": { args: () => [[]], form: { id: "1" } },
  "app/%5Fadmin/actions.ts#discardDeadLetterAction": { args: () => [[]], form: { id: "1" } },
  "app/[org]/projects/[project]/alerts/actions.ts#testRuleAction": {
    args: (ids, b) => [
      [ids.org, ids.project, ids.projectId, ids.ruleId],
      [b.org.slug, b.project.slug, b.project.id, ids.ruleId],
    ],
  },
};
// Actions that take no org and no id: nothing of another tenant's is reachable through them.
const TENANT_FREE: Record<string, string> = {
  "app/(auth)/forgot-password/actions.ts#forgotPasswordAction": "an email address; the answer is the same for any",
  "app/(auth)/reset-password/[token]/actions.ts#resetPasswordAction": "a secret token from an email",
  "app/(auth)/sign-in/actions.ts#signIn": "credentials",
  "app/(auth)/sign-in/actions.ts#signOut": "the caller's own session",
  "app/(auth)/sign-up/actions.ts#signUpAction": "creates the caller's own account and org",
  "app/(auth)/verify-email/[token]/actions.ts#verifyEmailAction": "a secret token from an email",
  "app/invitations/[token]/actions.ts#acceptInvitationAction": "a secret token from an invitation",
  "app/organizations/new/actions.ts#createOrgAction": "creates an org owned by the caller",
  "node_modules/@clerk/nextjs/dist/esm/app-router/server-actions.js#invalidateCacheAction": "Clerk's: revalidates the caller's own pages",
  "node_modules/@clerk/nextjs/dist/esm/app-router/keyless-actions.js#deleteKeylessAction": "Clerk's keyless dev mode, off in production",
};

/** Posts a server action as React's client does: its id in Next-Action, the arguments encoded by encodeReply. */
async function callAction(action: ManifestAction, args: unknown[]): Promise<{ status: number; body: string }> {
  const { encodeReply } = (await import(
    // @ts-expect-error Next's vendored React client has no type declarations
    "next/dist/compiled/react-server-dom-webpack/client.node.js"
  )) as { encodeReply: (value: unknown) => Promise<string | FormData> };
  const body = await encodeReply(args);
  const res = await fetch(`${url}${pageUrl(action.page)}`, {
    method: "POST",
    headers: { "next-action": action.id, cookie: bCookie, origin: url, accept: "text/x-component" },
    body,
    redirect: "manual",
  });
  return { status: res.status, body: await res.text() };
}

describe("every server action, called by org B with org A's slug and ids", () => {
  it("has an isolation case (or is tenant-free) for each action of the build", () => {
    const missing = serverActions()
      .map((x) => `${x.filename}#${x.exportedName}`)
      .filter((key) => !ACTION_CASES[key] && !TENANT_FREE[key]);
    expect(missing, "add these actions to ACTION_CASES in tests/integration/isolation.test.ts").toEqual([]);
  });

  it("refuses every attempt and changes nothing of A's", async () => {
    const before = await snapshotOfA();
    let attempts = 0;
    for (const action of serverActions()) {
      const key = `${action.filename}#${action.exportedName}`;
      const spec = ACTION_CASES[key];
      if (!spec) continue;
      for (const bound of spec.args(a, B)) {
        const fields = typeof spec.form === "function" ? spec.form(a) : spec.form;
        const { status, body } = await callAction(action, [...bound, {}, form(fields)]);
        attempts++;
        // A's slug: B is a stranger to that org (404). B's slug with A's ids: lib finds nothing.
        const refused = status === 404 || /no such|not found|NEXT_HTTP_ERROR_FALLBACK;404/i.test(body);
        expect(refused, `${key}(${JSON.stringify(bound)}) -> ${status} ${body.slice(0, 300)}`).toBe(true);
      }
    }
    expect(attempts).toBeGreaterThanOrEqual(Object.keys(ACTION_CASES).length);
    expect(await snapshotOfA()).toBe(before);
  });
});

// A list's own items, not any nested "id" (B's project can have the number of A's issue).
function listsIssue(body: string, issueId: number | string): boolean {
  try {
    const items: unknown = JSON.parse(body);
    return Array.isArray(items) && items.some((item) => (item as { id?: unknown })?.id === String(issueId));
  } catch {
    return false;
  }
}
