import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { serializeEvent, serializeTags } from "@/lib/api/serializers/event";
import { can } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { issueEvent, listIssueEvents, parseEventSelector } from "@/lib/issues/events";
import { issueTagSummaries } from "@/lib/issues/tags";
import { issueDetail, issueView } from "@/lib/issues/views";
import { listMembers } from "@/lib/members";
import { listReleases } from "@/lib/releases";
import { requireViewer } from "../../../(auth)/session";
import { ActionForm } from "../../../_components/action-form";
import { BarChart } from "../../../_components/charts";
import { KindBadge, LevelBadge, StatusBadges, TimeAgo } from "../../../_components/issue-bits";
import { releaseHref } from "../../releases/release-href";
import { commentAction, updateIssuesAction } from "../actions";
import { BUTTON, OperationButton } from "../operation-button";
import { EventEntries, hasRawFrames } from "./event-entries";
import { EventTraceLinks } from "./event-trace-links";
import { IssueFeedback } from "./issue-feedback";
import { PerformanceEvidence } from "./performance-evidence";

export const metadata: Metadata = { title: "Issue" };

const CURRENT = "rounded border border-indigo-600 bg-indigo-50 px-3 py-1 text-sm font-medium text-indigo-800";
export const dynamic = "force-dynamic";

type Props = {
  params: Promise<{ org: string; id: string }>;
  searchParams: Promise<{ event?: string; frames?: string; stack?: string }>;
};


/** Lib's "not found" (a foreign or unknown id) as the page's 404. */
async function orNotFound<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  }
}

export default async function IssuePage({ params, searchParams }: Props) {
  const { org, id } = await params;
  const { event: eventParam, frames, stack } = await searchParams;
  const viewer = await requireViewer(org);
  const issueId = /^\d{1,9}$/.test(id) ? Number(id) : notFound();
  const issue = await orNotFound(issueDetail(viewer, issueId));
  const [daily, tags, latest, events, members, releases] = await Promise.all([
    issueView(viewer, issueId, { stats: "30d" }),
    issueTagSummaries(viewer, issueId),
    orNotFound(issueEvent(viewer, issueId, parseEventSelectorOr404(eventParam ?? "latest"))).catch((error) => {
      // An issue whose events were all deleted by retention still has its page.
      if (eventParam) throw error;
      return null;
    }),
    listIssueEvents(viewer, issueId, { limit: 20 }),
    listMembers(viewer),
    // "Resolve in next release" needs a release to come after: is there one in the project?
    listReleases(viewer, { projectId: issue.project.id, limit: 1 }),
  ]);
  const projectHasRelease = releases.releases.length > 0;
  const event = latest ? serializeEvent(latest.event, { culprit: issue.culprit, ...latest }) : null;
  const editable = can(viewer.role, "issues:update");
  const base = `/${org}/issues/${issueId}`;
  const fullFrames = frames === "all";
  // Symbolicated frames by default; the minified ones (as the SDK sent them) on request.
  const minified = stack === "minified" && event !== null && hasRawFrames(event);
  const withParams = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams();
    const merged = { event: eventParam, frames, stack, ...changes };
    for (const [key, value] of Object.entries(merged)) if (value) next.set(key, value);
    const text = next.toString();
    return text ? `${base}?${text}` : base;
  };

  return (
    <main className="mx-auto max-w-6xl space-y-6 p-4 sm:p-6">
      <header className="space-y-2">
        <div className="text-sm text-slate-500">
          <Link href={`/${org}/issues`} className="text-indigo-700 underline">
            Issues
          </Link>{" "}
          / {issue.project.slug.toUpperCase()}-{issue.shortId}
        </div>
        <h1 className="break-words text-2xl font-semibold" data-testid="issue-title">
          {issue.title}
        </h1>
        <p className="break-all font-mono text-sm text-slate-600">{issue.culprit}</p>
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <LevelBadge level={issue.level} />
          <KindBadge type={issue.type} />
          <StatusBadges issue={issue} />
          <span data-testid="issue-status">
            {issue.status === "resolved" && issue.resolvedInNextRelease ? (
              "resolved in the next release"
            ) : issue.status === "resolved" && issue.resolvedInRelease ? (
              <>
                resolved in release <ReleaseLink org={org} version={issue.resolvedInRelease.version} />
              </>
            ) : (
              issue.status
            )}
          </span>
          <span>
            <strong className="tabular-nums">{issue.timesSeen}</strong> events
          </span>
          <span>
            <strong className="tabular-nums">{issue.userCount}</strong> users
          </span>
          <span data-testid="first-seen">
            first seen <TimeAgo date={issue.firstSeen} />
            {issue.firstRelease ? (
              <>
                {" "}
                in release <ReleaseLink org={org} version={issue.firstRelease} />
              </>
            ) : null}
          </span>
          <span data-testid="last-seen">
            last seen <TimeAgo date={issue.lastSeen} />
            {issue.lastRelease ? (
              <>
                {" "}
                in release <ReleaseLink org={org} version={issue.lastRelease} />
              </>
            ) : null}
          </span>
        </div>
      </header>

      {editable ? (
        <section className="flex flex-wrap items-end gap-4" aria-label="Issue actions">
          <ActionForm action={updateIssuesAction.bind(null, org)} className="flex flex-wrap items-center gap-2">
            <input type="hidden" name="issue" value={issueId} />
            {issue.status === "unresolved" ? (
              <>
                <OperationButton operation="resolve">Resolve</OperationButton>
                {projectHasRelease ? (
                  <OperationButton operation="resolve-next-release">Resolve in next release</OperationButton>
                ) : (
                  <>
                    <button type="button" disabled aria-describedby="no-release" className={`${BUTTON} cursor-not-allowed opacity-60`}>
                      Resolve in next release
                    </button>
                    <span id="no-release" className="text-xs text-slate-600">
                      (needs a release: set <code>release</code> in the SDK)
                    </span>
                  </>
                )}
                <OperationButton operation="ignore">Ignore</OperationButton>
                <OperationButton operation="ignore-24h">Ignore for 24 h</OperationButton>
                <OperationButton operation="ignore-100">Ignore until 100 more events</OperationButton>
              </>
            ) : (
              <OperationButton operation="unresolve">{issue.status === "resolved" ? "Unresolve" : "Stop ignoring"}</OperationButton>
            )}
          </ActionForm>
          <ActionForm action={updateIssuesAction.bind(null, org)} className="flex items-center gap-2">
            <input type="hidden" name="issue" value={issueId} />
            <select name="assignee" defaultValue={issue.assignee?.email ?? ""} aria-label="Assignee" className="rounded border border-slate-300 px-2 py-1 text-sm">
              <option value="">Unassigned</option>
              {members.map((m) => (
                <option key={m.user.id} value={m.user.email}>
                  {m.user.name || m.user.email}
                </option>
              ))}
            </select>
            <OperationButton operation="assign">Assign</OperationButton>
          </ActionForm>
        </section>
      ) : null}

      <section className="grid gap-4 sm:grid-cols-2">
        <BarChart series={issue.stats["24h"] ?? []} label="Last 24 hours" />
        <BarChart series={daily.stats["30d"] ?? []} label="Last 30 days" />
      </section>

      <div className="grid gap-6 lg:grid-cols-[1fr_18rem]">
        <div className="min-w-0 space-y-6">
          {event && latest ? (
            <section className="space-y-4" data-testid="event">
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <h2 className="text-lg font-medium">
                  Event <code className="text-sm">{event.eventID}</code>
                </h2>
                <nav className="flex gap-2 text-sm" aria-label="Events">
                  {latest.previousEventId ? (
                    <Link href={withParams({ event: latest.previousEventId })} className={BUTTON}>
                      ← Older
                    </Link>
                  ) : null}
                  {latest.nextEventId ? (
                    <Link href={withParams({ event: latest.nextEventId })} className={BUTTON}>
                      Newer →
                    </Link>
                  ) : null}
                  <Link href={withParams({ frames: fullFrames ? undefined : "all" })} className={BUTTON}>
                    {fullFrames ? "In-app frames only" : "Full stack trace"}
                  </Link>
                </nav>
              </div>
              <p className="text-sm text-slate-600">
                {event.dateCreated} ·{" "}
                {event.release ? (
                  <>
                    release <ReleaseLink org={org} version={event.release.version} />
                  </>
                ) : (
                  "no release"
                )}
                {event.environment ? ` · ${event.environment}` : ""}
              </p>
              <EventTraceLinks viewer={viewer} org={org} event={event} />
              <PerformanceEvidence viewer={viewer} org={org} projectSlug={issue.project.slug} event={event} />
              {hasRawFrames(event) ? (
                <nav className="flex gap-1 text-sm" aria-label="Stack trace view" data-testid="frames-toggle">
                  <Link href={withParams({ stack: undefined })} aria-current={minified ? undefined : "page"} className={minified ? BUTTON : CURRENT}>
                    Original
                  </Link>
                  <Link href={withParams({ stack: "minified" })} aria-current={minified ? "page" : undefined} className={minified ? CURRENT : BUTTON}>
                    Minified
                  </Link>
                </nav>
              ) : null}
              <EventEntries event={event} fullFrames={fullFrames} minified={minified} />
            </section>
          ) : (
            <p className="text-slate-600">No stored event for this issue (retention may have removed them).</p>
          )}

          <section className="space-y-2">
            <h2 className="text-lg font-medium">Events</h2>
            <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white text-sm">
              {events.events.map((e) => (
                <li key={String(e.id)} className="px-3 py-2">
                  <Link href={withParams({ event: e.event_id })} className="font-mono text-indigo-700 hover:underline">
                    {e.event_id.slice(0, 12)}
                  </Link>{" "}
                  <TimeAgo date={e.timestamp} />
                  <div className="mt-1 flex flex-wrap gap-1">
                    {serializeTags(e.tags).map((t) => (
                      <span key={t.key} className="rounded bg-slate-100 px-1.5 text-xs">
                        {t.key}: {t.value}
                      </span>
                    ))}
                  </div>
                </li>
              ))}
            </ul>
          </section>

          <IssueFeedback viewer={viewer} org={org} issueId={issueId} />

          <section className="space-y-2">
            <h2 className="text-lg font-medium">Activity</h2>
            {editable ? (
              <ActionForm action={commentAction.bind(null, org, issueId)} submit="Comment" className="space-y-2">
                <textarea name="text" required maxLength={5000} rows={2} aria-label="Comment" className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
              </ActionForm>
            ) : null}
            <ul className="space-y-2 text-sm" data-testid="activity">
              {issue.activity.map((a) => (
                <li key={a.id} className="rounded border border-slate-200 bg-white px-3 py-2">
                  {/* A fired rule is no one's doing: its sentence names the rule instead. */}
                  {a.type === "alert_fired" ? null : <span className="font-medium">{a.user?.name || a.user?.email || "errorhub"} </span>}
                  {activityText(a.type, a.data)}{" "}
                  <span className="text-slate-500">
                    <TimeAgo date={a.createdAt} />
                  </span>
                </li>
              ))}
              {issue.activity.length === 0 ? <li className="text-slate-500">Nothing yet.</li> : null}
            </ul>
          </section>
        </div>

        <aside className="space-y-4" aria-label="Tags">
          <h2 className="text-lg font-medium">Tags</h2>
          {tags.map((tag) => (
            <div key={tag.key} className="text-sm">
              <div className="flex justify-between font-medium">
                <span>{tag.key}</span>
                <span className="text-slate-500">{tag.uniqueValues} values</span>
              </div>
              <ul>
                {tag.topValues.slice(0, 5).map((v) => {
                  const share = tag.totalValues > 0 ? Math.round((v.times_seen / tag.totalValues) * 100) : 0;
                  return (
                    <li key={v.value} className="relative mt-0.5 overflow-hidden rounded bg-slate-100 px-2 py-0.5">
                      <span className="absolute inset-y-0 left-0 bg-indigo-100" style={{ width: `${share}%` }} />
                      <span className="relative flex justify-between gap-2">
                        <span className="truncate">{v.value}</span>
                        <span className="tabular-nums">{share}%</span>
                      </span>
                    </li>
                  );
                })}
              </ul>
            </div>
          ))}
        </aside>
      </div>
    </main>
  );
}

function ReleaseLink({ org, version }: { org: string; version: string }) {
  return (
    <Link href={releaseHref(org, version)} className="font-mono text-indigo-700 hover:underline">
      {version}
    </Link>
  );
}

function parseEventSelectorOr404(text: string) {
  try {
    return parseEventSelector(text);
  } catch {
    notFound();
  }
}

function activityText(type: string, data: unknown): string {
  const d = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
  switch (type) {
    case "note":
      return `commented: ${String(d.text ?? "")}`;
    case "set_resolved":
      return "resolved the issue";
    case "set_unresolved":
      return "unresolved the issue";
    case "set_ignored":
      return "ignored the issue";
    case "set_regression":
      return "marked it a regression (a new event after it was resolved)";
    case "assigned":
      return `assigned it to ${String(d.assigneeEmail ?? "someone")}`;
    case "unassigned":
      return "unassigned it";
    case "alert_fired": {
      const targets = Array.isArray(d.targets) ? d.targets.map(String) : [];
      return `Alert ${String(d.ruleName ?? "")} sent to ${targets.length > 0 ? targets.join(", ") : "no one"}`;
    }
    default:
      return type.replaceAll("_", " ");
  }
}
