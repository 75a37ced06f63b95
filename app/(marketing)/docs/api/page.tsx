import type { Metadata } from "next";
import { API_SCOPES } from "@/lib/api/auth";
import { env } from "@/lib/env";
import { LEVELS } from "@/lib/issues/search";
import { SCOPES } from "@/lib/tokens";
import { Code, CodeBlock } from "../../_components/code-block";
import { PROSE, Table } from "../_content";

export const metadata: Metadata = {
  title: "REST API",
  description:
    "errorhub's Sentry-shaped REST API: bearer tokens and scopes, routes, paging and the issue search language.",
};

type Route = { method: string; path: string; scopes: readonly string[]; what: string };

// The routes under app/api/0 (tests/e2e/public-site.test.ts checks that each one is listed),
// with the scopes lib/api/auth.ts requires of each kind.
const ROUTES: Route[] = [
  {
    method: "GET",
    path: "/api/0/organizations/",
    scopes: API_SCOPES.orgRead,
    what: "the token's organization, as a one-item list",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/",
    scopes: API_SCOPES.orgRead,
    what: "organization details, with its projects",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/projects/",
    scopes: API_SCOPES.projectList,
    what: "the organization's projects",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/stats_v2/",
    scopes: API_SCOPES.orgRead,
    what: "usage by outcome, category, reason or project",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/issues/",
    scopes: API_SCOPES.eventRead,
    what: "issues of the whole organization (paged)",
  },
  {
    method: "PUT",
    path: "/api/0/organizations/{org}/issues/",
    scopes: API_SCOPES.eventWrite,
    what: "bulk update: ?id= issues, or up to 1,000 matching ?query=",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/issues/{id}/",
    scopes: API_SCOPES.eventRead,
    what: "one issue",
  },
  {
    method: "PUT",
    path: "/api/0/organizations/{org}/issues/{id}/",
    scopes: API_SCOPES.eventWrite,
    what: "resolve (also resolvedInNextRelease, or statusDetails {inRelease: version}), ignore, reopen, assign, bookmark",
  },
  {
    method: "DELETE",
    path: "/api/0/organizations/{org}/issues/{id}/",
    scopes: API_SCOPES.eventWrite,
    what: "delete the issue and its events",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/issues/{id}/events/",
    scopes: API_SCOPES.eventRead,
    what: "the issue's events (paged; ?full=true for bodies)",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/issues/{id}/events/{eventId}/",
    scopes: API_SCOPES.eventRead,
    what: "one event; or latest, oldest, recommended",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/issues/{id}/tags/",
    scopes: API_SCOPES.eventRead,
    what: "the issue's tags with their top values",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/issues/{id}/tags/{key}/",
    scopes: API_SCOPES.eventRead,
    what: "one tag of the issue",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/issues/{id}/tags/{key}/values/",
    scopes: API_SCOPES.eventRead,
    what: "every value of that tag (paged)",
  },
  {
    method: "GET",
    path: "/api/0/projects/{org}/{project}/",
    scopes: API_SCOPES.projectRead,
    what: "project details",
  },
  {
    method: "GET",
    path: "/api/0/projects/{org}/{project}/keys/",
    scopes: API_SCOPES.projectRead,
    what: "the project's client keys and DSNs",
  },
  {
    method: "GET",
    path: "/api/0/projects/{org}/{project}/issues/",
    scopes: API_SCOPES.eventRead,
    what: "the project's issues (paged)",
  },
  {
    method: "PUT",
    path: "/api/0/projects/{org}/{project}/issues/",
    scopes: API_SCOPES.eventWrite,
    what: "bulk update within the project",
  },
  {
    method: "GET",
    path: "/api/0/projects/{org}/{project}/rules/",
    scopes: API_SCOPES.projectRead,
    what: "the project's issue alert rules",
  },
  {
    method: "POST",
    path: "/api/0/projects/{org}/{project}/rules/",
    scopes: API_SCOPES.projectWrite,
    what: "create an alert rule (Sentry's body: conditions, filters, actions, frequency)",
  },
  {
    method: "GET",
    path: "/api/0/projects/{org}/{project}/rules/{id}/",
    scopes: API_SCOPES.projectRead,
    what: "one alert rule",
  },
  {
    method: "PUT, DELETE",
    path: "/api/0/projects/{org}/{project}/rules/{id}/",
    scopes: API_SCOPES.projectWrite,
    what: "replace or delete an alert rule",
  },
  {
    method: "POST",
    path: "/api/0/projects/{org}/{project}/rules/{id}/test/",
    scopes: API_SCOPES.projectWrite,
    what: "send a test notification to each of the rule's actions now",
  },
  {
    method: "GET",
    path: "/api/0/",
    scopes: [],
    what: "the token's scopes and user (what sentry-cli info prints); nulls without a token",
  },
  {
    method: "GET, POST",
    path: "/api/0/organizations/{org}/releases/",
    scopes: API_SCOPES.releaseWrite,
    what: "releases, newest first (?query= version prefix, ?project=, paged; ?health=1 adds each project's healthData: crash-free rates, adoption, stats); POST creates one (201) or adds projects (208 when nothing changed)",
  },
  {
    method: "GET, PUT, DELETE",
    path: "/api/0/organizations/{org}/releases/{version}/",
    scopes: API_SCOPES.releaseWrite,
    what: "one release (the version percent-encoded); PUT finalizes (dateReleased), sets ref, url, projects, and commits or refs; DELETE 204 unless issues refer to it",
  },
  {
    method: "GET, POST",
    path: "/api/0/organizations/{org}/releases/{version}/deploys/",
    scopes: API_SCOPES.releaseWrite,
    what: "deploys of a release to an environment (201, 208 for a repeated one)",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/releases/{version}/commits/",
    scopes: API_SCOPES.releaseRead,
    what: "the release's commits, head first",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/releases/{version}/previous-with-commits/",
    scopes: API_SCOPES.releaseRead,
    what: "the release before it that has commits, with its last commit ({} when none)",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/repos/",
    scopes: API_SCOPES.releaseRead,
    what: "repositories that commits were recorded in",
  },
  {
    method: "GET, POST",
    path: "/api/0/organizations/{org}/chunk-upload/",
    scopes: API_SCOPES.releaseWrite,
    what: "sentry-cli's chunked uploads: GET the options, POST chunks (multipart, sha1-named, gzip allowed)",
  },
  {
    method: "POST",
    path: "/api/0/organizations/{org}/artifactbundle/assemble/",
    scopes: API_SCOPES.releaseWrite,
    what: "assemble uploaded chunks into an artifact bundle: created, assembling, ok, error (with detail) or not_found with missingChunks",
  },
  {
    method: "GET, POST",
    path: "/api/0/projects/{org}/{project}/releases/",
    scopes: API_SCOPES.releaseWrite,
    what: "the project's releases; POST creates a release in this project",
  },
  {
    method: "GET, PUT, DELETE",
    path: "/api/0/projects/{org}/{project}/releases/{version}/",
    scopes: API_SCOPES.releaseWrite,
    what: "a release of this project, as above (sentry-cli 2.x finalizes here when a project is set)",
  },
  {
    method: "GET, POST",
    path: "/api/0/projects/{org}/{project}/releases/{version}/files/",
    scopes: API_SCOPES.releaseWrite,
    what: "legacy release files (older sentry-cli and bundler plugins): list, upload (409 when the name and dist exist)",
  },
  {
    method: "GET, DELETE",
    path: "/api/0/projects/{org}/{project}/releases/{version}/files/{id}/",
    scopes: API_SCOPES.releaseWrite,
    what: "one release file (?download=1 for its bytes), or delete it",
  },
  {
    method: "GET, DELETE",
    path: "/api/0/projects/{org}/{project}/files/artifact-bundles/",
    scopes: API_SCOPES.releaseWrite,
    what: "the project's artifact bundles; DELETE ?bundleId= removes one",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/monitors/",
    scopes: API_SCOPES.monitorRead,
    what: "cron monitors (?project=, ?query= on name or slug, paged), each with its environments' status and next check-in",
  },
  {
    method: "POST",
    path: "/api/0/organizations/{org}/monitors/",
    scopes: API_SCOPES.monitorWrite,
    what: "create a monitor: {project, name, slug?, config: {schedule_type, schedule, checkin_margin, max_runtime, timezone, failure_issue_threshold, recovery_threshold}} (201; 409 duplicate slug; 403 past the plan's monitors)",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/monitors/{slug}/",
    scopes: API_SCOPES.monitorRead,
    what: "one monitor (?project= when the slug is in several projects)",
  },
  {
    method: "PUT, DELETE",
    path: "/api/0/organizations/{org}/monitors/{slug}/",
    scopes: API_SCOPES.monitorWrite,
    what: "update (name, slug, config, isMuted, status) or delete (202) a monitor",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/monitors/{slug}/checkins/",
    scopes: API_SCOPES.monitorRead,
    what: "the monitor's check-ins, newest first (?environment=, paged): status, duration in ms, expected time",
  },
  {
    method: "GET",
    path: "/api/0/projects/{org}/{project}/user-feedback/",
    scopes: API_SCOPES.feedbackRead,
    what: "user feedback (widget and legacy user reports), newest first, with the issue it is about (paged)",
  },
  {
    method: "POST",
    path: "/api/0/projects/{org}/{project}/user-feedback/",
    scopes: API_SCOPES.feedbackWrite,
    what: "a legacy user report {event_id, name, email, comments}; also with Authorization: DSN <dsn>",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/issues/{id}/user-reports/",
    scopes: API_SCOPES.feedbackRead,
    what: "the issue's user feedback",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/sessions/",
    scopes: API_SCOPES.sessionsRead,
    what: "release health: sum(session), count_unique(user), crash_free_rate(session|user) by session.status, release, environment, project, per interval",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/transaction-groups/",
    scopes: API_SCOPES.performanceRead,
    what: "transactions grouped by name, op and method (?project=, environment=, release=, statsPeriod= or start&end, query=, sort=-p95|-count|-throughput|-failureRate, paged): count, throughput per minute, avg, p50, p75, p95, p99 (ms), failureRate, apdex, errorCount",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/transactions/",
    scopes: API_SCOPES.performanceRead,
    what: "recent or slowest transactions of a name (?project=, transaction=, sort=-timestamp|-duration, paged): eventID, duration, timestamp, traceId, status",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/events/{eventRef}/",
    scopes: API_SCOPES.performanceRead,
    what: "a transaction, eventRef = {project_slug}:{event_id}, in Sentry's event shape with its spans in a spans entry",
  },
  {
    method: "GET",
    path: "/api/0/organizations/{org}/events-trace/{traceId}/",
    scopes: API_SCOPES.performanceRead,
    what: "a trace across the org's projects: its transactions as a tree (with their spans), its errors and its performance issues (N+1 queries)",
  },
  {
    method: "GET",
    path: "/api/0/issues/{id}/",
    scopes: API_SCOPES.eventRead,
    what: "Sentry's older paths without the org: the token's org",
  },
  {
    method: "PUT, DELETE",
    path: "/api/0/issues/{id}/",
    scopes: API_SCOPES.eventWrite,
    what: "as above, older path",
  },
  {
    method: "GET",
    path: "/api/0/issues/{id}/events/",
    scopes: API_SCOPES.eventRead,
    what: "as above, older path",
  },
  {
    method: "GET",
    path: "/api/0/issues/{id}/events/{eventId}/",
    scopes: API_SCOPES.eventRead,
    what: "as above, older path",
  },
  {
    method: "GET",
    path: "/api/0/issues/{id}/tags/",
    scopes: API_SCOPES.eventRead,
    what: "as above, older path",
  },
  {
    method: "GET",
    path: "/api/0/issues/{id}/tags/{key}/",
    scopes: API_SCOPES.eventRead,
    what: "as above, older path",
  },
  {
    method: "GET",
    path: "/api/0/issues/{id}/tags/{key}/values/",
    scopes: API_SCOPES.eventRead,
    what: "as above, older path",
  },
  {
    method: "GET",
    path: "/api/0/issues/{id}/user-reports/",
    scopes: API_SCOPES.feedbackRead,
    what: "as above, older path",
  },
];

export default function ApiDocsPage() {
  const base = env().APP_URL.replace(/\/+$/, "");
  return (
    <article className={PROSE}>
      <h1>REST API</h1>
      <p>
        errorhub serves a subset of Sentry's REST API in the same shapes, so scripts and tools written for
        Sentry's API work when pointed at <Code>{base}</Code>. The dashboard itself is built on the same
        library code.
      </p>

      <h2 id="auth">Authentication</h2>
      <p>
        Create a token in your organization under <strong>Settings › API tokens</strong> and send it as a
        bearer token. A token belongs to one organization and sees nothing else: another organization's slug
        or ids answer 404, exactly like ones that do not exist.
      </p>
      <CodeBlock
        label="Shell"
        code={`curl -H "Authorization: Bearer $ERRORHUB_TOKEN" ${base}/api/0/organizations/`}
      />
      <p>
        A token carries scopes: {SCOPES.map((s, i) => [i > 0 ? ", " : "", <Code key={s}>{s}</Code>])}. Write
        and admin scopes also read. Without a token the answer is 401, also for a token past the expiry chosen
        when it was created (never, 30, 90 or 365 days); with a token lacking every scope a route accepts, 403.
        Owners and admins can revoke any member's token under <strong>Settings › API tokens</strong>. Errors
        are JSON in Sentry's shape: <Code>{'{"detail": "..."}'}</Code>.
      </p>

      <h2 id="routes">Routes</h2>
      <p>
        Paths end with a slash, as Sentry's do. A route accepts a token with any one of the scopes listed.
      </p>
      <Table
        label="REST API routes"
        testId="api-routes"
        head={["Method", "Path", "Scopes (any)", "What"]}
        rows={ROUTES.map((r) => [
          <span key="m" className="font-mono text-xs font-semibold">
            {r.method}
          </span>,
          <code key="p" className="break-all font-mono text-xs">
            {r.path}
          </code>,
          <span key="s" className="font-mono text-xs">
            {r.scopes.join(", ")}
          </span>,
          r.what,
        ])}
      />
      <p>
        The release and source-map routes list the scopes that write; reading them (GET) also takes{" "}
        {API_SCOPES.releaseRead.map((scope, i) => (
          <span key={scope}>
            {i > 0 ? ", " : ""}
            <Code>{scope}</Code>
          </span>
        ))}
        . <Code>project:releases</Code> and <Code>org:ci</Code> are Sentry's scopes for CI tokens.
      </p>

      <h2 id="paging">Paging</h2>
      <p>
        Lists answer one page (<Code>?limit=</Code>, up to 100) and a <Code>Link</Code> header naming the
        previous and next pages, as Sentry does. Follow the <Code>next</Code> link while its{" "}
        <Code>results</Code> is <Code>"true"</Code>:
      </p>
      <CodeBlock
        label="HTTP"
        code={`Link: <${base}/api/0/projects/acme/backend/issues/?cursor=1735689600000:1042:1>; rel="previous"; results="false"; cursor="1735689600000:1042:1",
      <${base}/api/0/projects/acme/backend/issues/?cursor=1735603200000:998:0>; rel="next"; results="true"; cursor="1735603200000:998:0"`}
      />

      <h2 id="search">Searching issues</h2>
      <p>
        The issue lists take <Code>?query=</Code> in the language of the dashboard's search box (and
        Sentry's), plus <Code>statsPeriod</Code> (<Code>24h</Code>, <Code>14d</Code>, ...), <Code>sort</Code>,{" "}
        <Code>project</Code> and <Code>environment</Code>. Terms are separated by spaces and must all match;{" "}
        <Code>!</Code> negates one.
      </p>
      <Table
        label="Search terms"
        head={["Term", "Matches"]}
        rows={[
          [
            <Code key="1">is:unresolved</Code>,
            "status: unresolved, resolved, ignored (or archived); assigned, unassigned",
          ],
          [<Code key="2">level:error</Code>, `the level: ${LEVELS.join(", ")}`],
          [<Code key="3">assigned:me</Code>, "assignee: me, none, or an email"],
          [<Code key="4">has:user</Code>, "issues with any value for a tag"],
          [<Code key="5">firstRelease:1.2.0</Code>, "issues first seen in a release"],
          [
            <Code key="6">release:1.2.0 browser:"Chrome 120"</Code>,
            "any other key is a tag; * is a wildcard in a tag value",
          ],
          [<Code key="7">{"environment:[staging,production]"}</Code>, "a list matches any of its values"],
          [<Code key="8">timeout</Code>, "free text: in the title or culprit, case-insensitive"],
        ]}
      />

      <h2 id="examples">Examples</h2>
      <CodeBlock
        label="The unresolved errors of one release, newest first"
        code={`curl -G -H "Authorization: Bearer $ERRORHUB_TOKEN" \\
  --data-urlencode 'query=is:unresolved level:error release:my-app@1.0.0' \\
  --data-urlencode 'statsPeriod=14d' \\
  ${base}/api/0/projects/acme/backend/issues/`}
      />
      <CodeBlock
        label="Resolve an issue"
        code={`curl -X PUT -H "Authorization: Bearer $ERRORHUB_TOKEN" -H 'Content-Type: application/json' \\
  -d '{"status": "resolved"}' \\
  ${base}/api/0/organizations/acme/issues/42/`}
      />
      <CodeBlock
        label="Resolve an issue in the next release: events of the current release keep it resolved, a newer one reopens it"
        code={`curl -X PUT -H "Authorization: Bearer $ERRORHUB_TOKEN" -H 'Content-Type: application/json' \\
  -d '{"status": "resolvedInNextRelease"}' \\
  ${base}/api/0/organizations/acme/issues/42/`}
      />
      <CodeBlock
        label="The latest event of an issue, with its stack trace"
        code={`curl -H "Authorization: Bearer $ERRORHUB_TOKEN" \\
  ${base}/api/0/organizations/acme/issues/42/events/latest/`}
      />
      <CodeBlock
        label="Every project's DSNs"
        code={`curl -H "Authorization: Bearer $ERRORHUB_TOKEN" ${base}/api/0/projects/acme/backend/keys/`}
      />
      <h3 id="stats">Usage statistics</h3>
      <CodeBlock
        label="Errors accepted, filtered and rate limited in the last 30 days"
        code={`curl -G -H "Authorization: Bearer $ERRORHUB_TOKEN" \\
  --data-urlencode 'field=sum(quantity)' --data-urlencode 'groupBy=outcome' \\
  --data-urlencode 'category=error' --data-urlencode 'statsPeriod=30d' \\
  ${base}/api/0/organizations/acme/stats_v2/`}
      />
    </article>
  );
}
